import Memory

/// Where and how to start a raw binary (`--flat`).
public struct FlatImageOptions: Sendable, Equatable {
    /// Guest physical address the whole file is copied to; also the entry point.
    public var address: GuestAddress
    /// The mode the vCPU starts in.
    public var mode: CPUMode

    public init(address: GuestAddress, mode: CPUMode) {
        self.address = address
        self.mode = mode
    }
}

/// How to load an image.
public struct LoadOptions: Sendable, Equatable {
    /// Passed to multiboot kernels (at most 4095 bytes); other formats ignore it.
    public var commandLine: String
    /// When set, the image is loaded as a raw binary whatever its contents.
    public var flat: FlatImageOptions?
    /// The image's file name. A multiboot kernel gets it as the first word of its
    /// command line, followed by a space and `commandLine`, as GRUB and QEMU do.
    public var imageName: String?

    public init(commandLine: String = "", flat: FlatImageOptions? = nil, imageName: String? = nil) {
        self.commandLine = commandLine
        self.flat = flat
        self.imageName = imageName
    }

    /// The command line a multiboot kernel sees.
    public var multibootCommandLine: String {
        imageName.map { "\($0) \(commandLine)" } ?? commandLine
    }
}

/// Recognises a guest image and loads it into guest memory.
///
/// Loading is plan, check, write: each format produces the image pieces and VMM
/// structures it needs, all of them are checked against guest RAM and against each
/// other, and only then is anything written, so a failed load leaves memory untouched.
public enum ImageLoader {
    /// Recognises the format: `.flat` only when asked; else multiboot when a v1 header
    /// magic is found 4-byte aligned in the first 8192 bytes (even with a bad checksum,
    /// which `load` then reports); else `.elf32` or `.elf64` for the ELF magic, by its
    /// class; else nil.
    public static func detect(_ image: [UInt8], flat: Bool) -> ImageFormat? {
        if flat { return .flat }
        if MultibootHeader.find(in: image) != nil { return .multiboot }
        if ELFFile.hasMagic(image) { return ELFFile.claimedFormat(image) }
        return nil
    }

    /// Writes the image and the boot structures it needs into memory and returns how
    /// to start the vCPU. Nothing is written unless the whole load is valid.
    public static func load(_ image: [UInt8], into memory: GuestMemory, options: LoadOptions) throws(LoaderError)
        -> BootPlan
    {
        guard !image.isEmpty else { throw .emptyImage }
        let (load, boot) = try plan(image, memory: memory, options: options)
        try load.write(image, into: memory)
        return boot
    }

    private static func plan(_ image: [UInt8], memory: GuestMemory, options: LoadOptions) throws(LoaderError)
        -> (LoadPlan, BootPlan)
    {
        if let flat = options.flat {
            return try FlatLoader.plan(image, options: flat)
        }
        // A Linux bzImage loader will be recognised here, before multiboot and ELF.
        switch detect(image, flat: false) {
        case .multiboot:
            return try MultibootLoader.plan(image, commandLine: options.multibootCommandLine, memory: memory)
        case .elf32, .elf64:
            return try ELFLoader.plan(image)
        case .flat, nil:
            throw .unknownFormat(firstBytes: Array(image.prefix(16)))
        }
    }
}
