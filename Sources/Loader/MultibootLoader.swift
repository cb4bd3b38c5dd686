import Memory

/// Loads a multiboot (v1) kernel the way QEMU's `-kernel` does: by the header's
/// address fields when flags bit 16 is set, else by the ELF32 program headers. The
/// kernel is entered in 32-bit protected mode with EAX = 0x2BADB002 and EBX = the
/// multiboot information block.
enum MultibootLoader {
    /// Modules (the initrd first, then `options.modules`) go page-aligned after the
    /// kernel, as QEMU places them, and are listed in the information block.
    static func plan(_ image: [UInt8], options: LoadOptions, memory: GuestMemory) throws(LoaderError)
        -> (LoadPlan, BootPlan)
    {
        let header = try MultibootHeader(parsing: image)
        let commandLineBytes = try Self.commandLineBytes(options.multibootCommandLine)
        let (pieces, entry) = try Self.pieces(image, header: header)
        var load = LoadPlan(pieces: pieces, structures: structures(info: [], commandLine: commandLineBytes))
        try load.check(in: memory)
        let modules = try ModulePlacement.add(options, to: &load, memory: memory)
        let info = MultibootInfo(memory: memory, modules: modules, acpiTables: options.acpi?.tables)
        load.structures = structures(info: try info.bytes(), commandLine: commandLineBytes)
        var registers = InitialRegisters()
        registers.rax = UInt64(MultibootHeader.bootloaderMagic)
        registers.rbx = BootLayout.bootInfo.start.rawValue
        var boot = BootPlan(format: .multiboot, pagedMode: .protected, entry: entry, registers: registers, load: load)
        boot.modules = modules.map(\.range)
        return (load, boot)
    }

    private static func structures(info: [UInt8], commandLine: [UInt8]) -> [PlannedStructure] {
        [
            .gdt,
            PlannedStructure(name: "multiboot information", range: BootLayout.bootInfo, bytes: info),
            PlannedStructure(name: "command line", range: BootLayout.commandLine, bytes: commandLine),
            .stack,
        ]
    }

    /// The NUL-terminated command line; it must fit its page.
    static func commandLineBytes(_ commandLine: String) throws(LoaderError) -> [UInt8] {
        let bytes = Array(commandLine.utf8)
        let maximum = Int(BootLayout.commandLine.size) - 1
        guard bytes.count <= maximum else {
            throw .commandLineTooLong(length: bytes.count, maximum: maximum)
        }
        return bytes + [0]
    }

    /// What to load: one range from the address fields, or the ELF32 segments.
    private static func pieces(_ image: [UInt8], header: MultibootHeader) throws(LoaderError)
        -> ([ImagePiece], UInt64)
    {
        if let fields = header.addressFields {
            let (piece, entry) = try fields.plan(image, headerOffset: header.offset)
            return ([piece], entry)
        }
        guard ELFFile.hasMagic(image) else {
            throw .invalidField(format: .multiboot, field: "flags", value: UInt64(header.flags),
                                reason: "bit 16 (address fields) is clear and the image is not ELF")
        }
        guard ELFFile.claimedFormat(image) == .elf32 else {
            throw .invalidField(format: .multiboot, field: "flags", value: UInt64(header.flags),
                                reason: "a 64-bit ELF multiboot kernel must set bit 16 and give load addresses")
        }
        let elf = try ELFFile(parsing: image)
        return (try elf.pieces(), try elf.physicalEntry())
    }
}
