/// Huge pages backing guest memory.
public enum HugePages: String, StringEnumeration {
    case none = "None"
    case twoMiB = "2M"
}

/// vCPUs, memory and memory options (`PUT`/`GET /machine-config`).
public struct MachineConfig: Codable, Equatable, Sendable {
    public var vcpuCount: Int
    public var memSizeMib: Int
    public var smt: Bool
    public var trackDirtyPages: Bool
    public var hugePages: HugePages
    /// Firecracker's deprecated static CPU template; only `"None"` is accepted (use `/cpu-config`).
    public var cpuTemplate: String?

    /// Firecracker's defaults: 1 vCPU, 128 MiB, no SMT, no dirty tracking, no huge pages.
    public static let `default` = MachineConfig(vcpuCount: 1, memSizeMib: 128)

    /// The most vCPUs Firecracker accepts.
    public static let maxVCPUs = 32

    public init(
        vcpuCount: Int, memSizeMib: Int, smt: Bool = false, trackDirtyPages: Bool = false,
        hugePages: HugePages = .none, cpuTemplate: String? = nil
    ) {
        self.vcpuCount = vcpuCount
        self.memSizeMib = memSizeMib
        self.smt = smt
        self.trackDirtyPages = trackDirtyPages
        self.hugePages = hugePages
        self.cpuTemplate = cpuTemplate
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case vcpuCount = "vcpu_count", memSizeMib = "mem_size_mib", smt
        case trackDirtyPages = "track_dirty_pages", hugePages = "huge_pages", cpuTemplate = "cpu_template"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "MachineConfig")
        vcpuCount = try c.decode(Int.self, forKey: .vcpuCount)
        memSizeMib = try c.decode(Int.self, forKey: .memSizeMib)
        smt = try c.decodeIfPresent(Bool.self, forKey: .smt) ?? false
        trackDirtyPages = try c.decodeIfPresent(Bool.self, forKey: .trackDirtyPages) ?? false
        hugePages = try c.decodeIfPresent(HugePages.self, forKey: .hugePages) ?? .none
        cpuTemplate = try c.decodeIfPresent(String.self, forKey: .cpuTemplate)
    }

    /// Applies a `PATCH /machine-config` body: only the fields it has change.
    public func applying(_ update: MachineConfigUpdate) -> MachineConfig {
        var result = self
        if let value = update.vcpuCount { result.vcpuCount = value }
        if let value = update.memSizeMib { result.memSizeMib = value }
        if let value = update.smt { result.smt = value }
        if let value = update.trackDirtyPages { result.trackDirtyPages = value }
        if let value = update.hugePages { result.hugePages = value }
        if let value = update.cpuTemplate { result.cpuTemplate = value }
        return result
    }

    func validate() throws(APIError) {
        guard (1...Self.maxVCPUs).contains(vcpuCount) else {
            throw .invalidValue("Invalid vcpu_count \(vcpuCount): it must be in 1...\(Self.maxVCPUs).")
        }
        if smt && vcpuCount > 1 && vcpuCount % 2 != 0 {
            throw .invalidValue("Invalid vcpu_count \(vcpuCount): with smt it must be 1 or an even number.")
        }
        guard memSizeMib >= 1 else {
            throw .invalidValue("Invalid mem_size_mib \(memSizeMib): it must be at least 1.")
        }
        if hugePages == .twoMiB && memSizeMib % 2 != 0 {
            throw .invalidValue("Invalid mem_size_mib \(memSizeMib): with 2M huge pages it must be a multiple of 2.")
        }
        if let cpuTemplate, cpuTemplate != "None" {
            throw .unsupported("Firecracker's static CPU template \"\(cpuTemplate)\" (`cpu_template`); use PUT /cpu-config")
        }
    }
}

/// A `PATCH /machine-config` body: every field optional.
public struct MachineConfigUpdate: Codable, Equatable, Sendable {
    public var vcpuCount: Int?
    public var memSizeMib: Int?
    public var smt: Bool?
    public var trackDirtyPages: Bool?
    public var hugePages: HugePages?
    public var cpuTemplate: String?

    public init(
        vcpuCount: Int? = nil, memSizeMib: Int? = nil, smt: Bool? = nil, trackDirtyPages: Bool? = nil,
        hugePages: HugePages? = nil, cpuTemplate: String? = nil
    ) {
        self.vcpuCount = vcpuCount
        self.memSizeMib = memSizeMib
        self.smt = smt
        self.trackDirtyPages = trackDirtyPages
        self.hugePages = hugePages
        self.cpuTemplate = cpuTemplate
    }

    typealias CodingKeys = MachineConfig.CodingKeys

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "MachineConfig")
        vcpuCount = try c.decodeIfPresent(Int.self, forKey: .vcpuCount)
        memSizeMib = try c.decodeIfPresent(Int.self, forKey: .memSizeMib)
        smt = try c.decodeIfPresent(Bool.self, forKey: .smt)
        trackDirtyPages = try c.decodeIfPresent(Bool.self, forKey: .trackDirtyPages)
        hugePages = try c.decodeIfPresent(HugePages.self, forKey: .hugePages)
        cpuTemplate = try c.decodeIfPresent(String.self, forKey: .cpuTemplate)
    }
}
