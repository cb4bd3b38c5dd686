/// The guest kernel, optional initrd and kernel command line (`PUT /boot-source`).
public struct BootSource: Codable, Equatable, Sendable {
    public var kernelImagePath: String
    public var initrdPath: String?
    public var bootArgs: String?

    public init(kernelImagePath: String, initrdPath: String? = nil, bootArgs: String? = nil) {
        self.kernelImagePath = kernelImagePath
        self.initrdPath = initrdPath
        self.bootArgs = bootArgs
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kernelImagePath = "kernel_image_path", initrdPath = "initrd_path", bootArgs = "boot_args"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "BootSource")
        kernelImagePath = try c.decode(String.self, forKey: .kernelImagePath)
        initrdPath = try c.decodeIfPresent(String.self, forKey: .initrdPath)
        bootArgs = try c.decodeIfPresent(String.self, forKey: .bootArgs)
    }

    func validate() throws(APIError) {
        try requirePath(kernelImagePath, "kernel_image_path")
        if let initrdPath { try requirePath(initrdPath, "initrd_path") }
    }
}
