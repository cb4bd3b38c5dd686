import Memory

/// Boots Linux through the 64-bit boot protocol (Documentation/arch/x86/boot.rst):
/// a bzImage's protected-mode kernel at 1 MiB entered at load address + 0x200, or a
/// vmlinux's segments at their physical addresses entered at e_entry; in both cases
/// in long mode with RSI pointing at the zero page, which carries the setup header,
/// the command line and initrd addresses and the E820 map.
enum LinuxLoader {
    /// What the two kernel formats hand to the common part of the boot.
    struct Kernel {
        var format: ImageFormat
        /// The setup header bytes for the zero page, from 0x1F1.
        var header: [UInt8]
        var pieces: [ImagePiece]
        var reservations: [Reservation]
        var entry: UInt64
        var commandLineSize: UInt32
        var initrdAddressMax: UInt32
    }

    /// The bzImage's 64-bit entry point is 0x200 bytes into the protected-mode kernel.
    static let entryOffset: UInt64 = 0x200

    static func planBzImage(_ image: [UInt8], options: LoadOptions, memory: GuestMemory) throws(LoaderError)
        -> (LoadPlan, BootPlan)
    {
        let header = try LinuxSetupHeader(parsing: image)
        let load = BootLayout.linuxKernel
        let piece = ImagePiece(what: "protected-mode kernel", destination: load, fileRange: header.kernelFileRange,
                               memorySize: header.kernelSize)
        let decompression = try header.decompressionRange(loadedAt: load)
        let kernel = Kernel(
            format: .bzImage, header: header.bytes, pieces: [piece],
            reservations: [Reservation(what: "the kernel's decompression area (init_size \(hex(header.initSize)))",
                                       range: decompression)],
            entry: load.rawValue + entryOffset, commandLineSize: header.commandLineSize,
            initrdAddressMax: header.initrdAddressMax)
        return try plan(kernel, options: options, memory: memory)
    }

    static func planELF(_ image: [UInt8], options: LoadOptions, memory: GuestMemory) throws(LoaderError)
        -> (LoadPlan, BootPlan)
    {
        let elf = try ELFFile(parsing: image)
        let entry = try elf.linuxEntry()
        guard entry < PCMemoryLayout.mmioHoleEnd else {
            throw .invalidField(format: .linuxELF, field: "e_entry", value: entry,
                                reason: "above 4 GiB, outside the identity map the VMM builds")
        }
        let kernel = Kernel(
            format: .linuxELF, header: SynthesizedSetupHeader.bytes(), pieces: try elf.pieces(), reservations: [],
            entry: entry, commandLineSize: SynthesizedSetupHeader.commandLineSize,
            initrdAddressMax: SynthesizedSetupHeader.initrdAddressMax)
        return try plan(kernel, options: options, memory: memory)
    }

    /// The common part: command line, kernel check, initrd placement, zero page.
    private static func plan(_ kernel: Kernel, options: LoadOptions, memory: GuestMemory) throws(LoaderError)
        -> (LoadPlan, BootPlan)
    {
        if let initrd = options.initrd, initrd.isEmpty { throw .emptyInitrd }
        let commandLine = try commandLineBytes(options.commandLine, commandLineSize: kernel.commandLineSize)
        var load = LoadPlan(pieces: kernel.pieces, structures: structures(zeroPage: [], commandLine: commandLine),
                            reservations: kernel.reservations)
        // The kernel must fit before the initrd is placed around it.
        try load.check(in: memory)
        var initrdRange: GuestRange?
        if let initrd = options.initrd {
            let blocked = load.pieces.map(\.range) + load.reservations.map(\.range) + load.structures.map(\.range)
            let range = try InitrdPlacement.place(size: UInt64(initrd.count), initrdAddressMax: kernel.initrdAddressMax,
                                                  avoiding: blocked, memory: memory)
            load.pieces.append(ImagePiece(what: "initrd", destination: range.start, fileRange: initrd.indices,
                                          memorySize: range.size, source: .initrd(initrd)))
            initrdRange = range
        }
        let zeroPage = ZeroPage(header: kernel.header, commandLine: BootLayout.commandLine.start, initrd: initrdRange,
                                memoryMap: MemoryMap.pc(for: memory, acpiTables: options.acpi?.tables),
                                rsdp: options.acpi?.rsdp)
        load.structures = structures(zeroPage: try zeroPage.bytes(), commandLine: commandLine)
        return (load, BootPlan(format: kernel.format, linuxEntry: kernel.entry, initrd: initrdRange, load: load))
    }

    /// GDT, page tables, zero page, command line and stack, in address order.
    private static func structures(zeroPage: [UInt8], commandLine: [UInt8]) -> [PlannedStructure] {
        [
            .linuxGDT,
            .pageTables,
            PlannedStructure(name: "zero page", range: BootLayout.bootInfo, bytes: zeroPage),
            PlannedStructure(name: "command line", range: BootLayout.commandLine, bytes: commandLine),
            .stack,
        ]
    }

    /// The NUL-terminated command line: at most the kernel's cmdline_size bytes, and
    /// at most 4095 so that it and its NUL fit the command line page.
    static func commandLineBytes(_ commandLine: String, commandLineSize: UInt32) throws(LoaderError) -> [UInt8] {
        let bytes = Array(commandLine.utf8)
        let maximum = min(Int(commandLineSize), Int(BootLayout.commandLine.size) - 1)
        guard bytes.count <= maximum else {
            throw .commandLineTooLong(length: bytes.count, maximum: maximum)
        }
        return bytes + [0]
    }
}

extension ELFFile {
    /// A vmlinux's e_entry is physical (its linker script says ENTRY(phys_startup_64)),
    /// so it is taken as is when it lies in a segment's physical range; only otherwise
    /// is it translated as a virtual address. (The per-CPU segment of a vmlinux has
    /// virtual address 0, so trying the virtual translation first could misplace a
    /// low entry point.)
    func linuxEntry() throws(LoaderError) -> UInt64 {
        for segment in segments where entry >= segment.physicalAddress
            && entry - segment.physicalAddress < segment.fileSize {
            return entry
        }
        return try physicalEntry()
    }
}
