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
    /// Passed to multiboot kernels (at most 4095 bytes) and Linux kernels (at most the
    /// kernel's cmdline_size, and 4095); other formats ignore it.
    public var commandLine: String
    /// When set, the image is loaded as a raw binary whatever its contents.
    public var flat: FlatImageOptions?
    /// The image's file name. A multiboot kernel gets it as the first word of its
    /// command line, followed by a space and `commandLine`, as GRUB and QEMU do.
    /// Linux kernels get `commandLine` alone.
    public var imageName: String?
    /// An initial RAM disk for a Linux kernel (bzImage or vmlinux), or the first module
    /// of a multiboot or PVH kernel; other formats refuse one (`LoaderError.initrdNotSupported`).
    public var initrd: [UInt8]?
    /// The initrd's file name: its module string when it is passed as a module.
    public var initrdName: String?
    /// Modules for a multiboot or PVH kernel, after the initrd (`--module`).
    public var modules: [BootModule]
    /// Which entry point an ELF image with several is started at.
    public var bootProtocol: BootProtocol
    /// Where the VMM puts the ACPI tables, if it does: the memory maps list the
    /// region as ACPI data, a Linux zero page gets the RSDP address, and the boot
    /// plan carries it (`BootPlan.rsdpAddress`).
    public var acpi: ACPIPlacement?

    public init(commandLine: String = "", flat: FlatImageOptions? = nil, imageName: String? = nil,
                initrd: [UInt8]? = nil, initrdName: String? = nil, modules: [BootModule] = [],
                bootProtocol: BootProtocol = .auto, acpi: ACPIPlacement? = nil) {
        self.commandLine = commandLine
        self.flat = flat
        self.imageName = imageName
        self.initrd = initrd
        self.initrdName = initrdName
        self.modules = modules
        self.bootProtocol = bootProtocol
        self.acpi = acpi
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
    /// Recognises the format: `.flat` only when asked; else `.bzImage` for the boot
    /// flag 0xAA55 at 0x1FE and "HdrS" at 0x202; else multiboot when a v1 header magic
    /// is found 4-byte aligned in the first 8192 bytes (even with a bad checksum, which
    /// `load` then reports); else, for the ELF magic, `.pvh` if it has a Xen
    /// `XEN_ELFNOTE_PHYS32_ENTRY` note (`bootProtocol` `.auto` or `.pvh`), `.linuxELF`
    /// if it is an ELF64 file with a PT_NOTE note owned by "Linux", or `.elf32`/`.elf64`
    /// by its class; else nil. `.pvh` takes any ELF (a multiboot one too) and nothing else.
    public static func detect(_ image: [UInt8], flat: Bool, bootProtocol: BootProtocol = .auto) -> ImageFormat? {
        if flat { return .flat }
        let elf = ELFFile.hasMagic(image)
        if bootProtocol == .pvh { return elf ? .pvh : nil }
        if LinuxSetupHeader.hasMagic(image) { return .bzImage }
        if MultibootHeader.find(in: image) != nil { return .multiboot }
        if elf {
            if bootProtocol == .auto, ELFNotes.hasPVHNote(image) { return .pvh }
            return ELFNotes.hasLinuxNote(image) ? .linuxELF : ELFFile.claimedFormat(image)
        }
        return nil
    }

    /// Writes the image and the boot structures it needs into memory and returns how
    /// to start the vCPU. Nothing is written unless the whole load is valid.
    public static func load(_ image: [UInt8], into memory: GuestMemory, options: LoadOptions) throws(LoaderError)
        -> BootPlan
    {
        guard !image.isEmpty else { throw .emptyImage }
        var (load, boot) = try plan(image, memory: memory, options: options)
        try load.write(image, into: memory)
        boot.rsdpAddress = options.acpi?.rsdp
        return boot
    }

    private static func plan(_ image: [UInt8], memory: GuestMemory, options: LoadOptions) throws(LoaderError)
        -> (LoadPlan, BootPlan)
    {
        guard let format = detect(image, flat: options.flat != nil, bootProtocol: options.bootProtocol) else {
            if options.bootProtocol == .pvh { throw .noPVHEntry }
            throw .unknownFormat(firstBytes: Array(image.prefix(16)))
        }
        let takesModules = format == .multiboot || format == .pvh
        if options.initrd != nil, format != .bzImage, format != .linuxELF, !takesModules {
            throw .initrdNotSupported(format: format)
        }
        if !options.modules.isEmpty, !takesModules { throw .modulesNotSupported(format: format) }
        if let initrd = options.initrd, initrd.isEmpty { throw .emptyInitrd }
        switch format {
        case .flat:
            guard let flat = options.flat else { throw .unknownFormat(firstBytes: Array(image.prefix(16))) }
            return try FlatLoader.plan(image, options: flat)
        case .bzImage:
            return try LinuxLoader.planBzImage(image, options: options, memory: memory)
        case .multiboot:
            return try MultibootLoader.plan(image, options: options, memory: memory)
        case .pvh:
            return try PVHLoader.plan(image, options: options, memory: memory)
        case .linuxELF:
            return try LinuxLoader.planELF(image, options: options, memory: memory)
        case .elf32, .elf64:
            return try ELFLoader.plan(image)
        }
    }
}
