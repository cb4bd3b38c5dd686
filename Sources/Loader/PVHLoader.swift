import Memory

/// Boots an ELF image (32- or 64-bit) through Xen's PVH entry, as cloud-hypervisor and
/// QEMU do for a kernel with a `XEN_ELFNOTE_PHYS32_ENTRY` note: the PT_LOAD segments at
/// their physical addresses, modules page-aligned after them, then the entry state of
/// Xen's docs/misc/pvh.pandoc: 32-bit protected mode, paging off, flat 4 GiB code and
/// data segments, CR4 = 0, TR a 32-bit TSS with limit 0x67, interrupts off and EBX =
/// the `hvm_start_info` page.
enum PVHLoader {
    static func plan(_ image: [UInt8], options: LoadOptions, memory: GuestMemory) throws(LoaderError)
        -> (LoadPlan, BootPlan)
    {
        let elf = try ELFFile(parsing: image)
        let entry = try entryPoint(image, elf: elf)
        let commandLine = try MultibootLoader.commandLineBytes(options.commandLine)
        var load = LoadPlan(pieces: try elf.pieces(), structures: structures(startInfo: [], commandLine: commandLine))
        try load.check(in: memory)
        let modules = try ModulePlacement.add(options, to: &load, memory: memory)
        let startInfo = PVHStartInfo(
            page: BootLayout.bootInfo, commandLine: BootLayout.commandLine.start, rsdp: options.acpi?.rsdp.rawValue ?? 0,
            memoryMap: MemoryMap.pc(for: memory, acpiTables: options.acpi?.tables), modules: modules)
        load.structures = structures(startInfo: try startInfo.bytes(), commandLine: commandLine)
        var registers = InitialRegisters()
        registers.rbx = BootLayout.bootInfo.start.rawValue
        var boot = BootPlan(format: .pvh, pagedMode: .protected, entry: entry, registers: registers, load: load)
        boot.modules = modules.map(\.range)
        return (load, boot)
    }

    /// The note's entry point: a 4-byte descriptor, or 8 bytes (64-bit Linux writes a
    /// `.quad`) whose value fits in 32 bits; it must lie in a segment's file bytes.
    static func entryPoint(_ image: [UInt8], elf: ELFFile) throws(LoaderError) -> UInt64 {
        guard let note = ELFNotes.pvhNote(image) else { throw .noPVHEntry }
        let field = "XEN_ELFNOTE_PHYS32_ENTRY note at file offset \(hex(note.fileOffset))"
        guard let descriptor = note.descriptor else {
            throw .truncated(what: field, offset: UInt64(note.fileOffset), needed: UInt64(note.descriptorSize),
                             fileSize: UInt64(image.count))
        }
        let value: UInt64
        switch descriptor.count {
        case 4: value = UInt64(descriptor.littleEndian(UInt32.self, at: 0) ?? 0)
        case 8: value = descriptor.littleEndian(UInt64.self, at: 0) ?? 0
        default:
            throw .invalidField(format: .pvh, field: "n_descsz of the \(field)", value: UInt64(descriptor.count),
                                reason: "must be 4 or 8 (a 32-bit physical address)")
        }
        guard value <= UInt64(UInt32.max) else {
            throw .invalidField(format: .pvh, field: field, value: value,
                                reason: "a PVH entry is a 32-bit physical address")
        }
        guard elf.segments.contains(where: { value >= $0.physicalAddress && value - $0.physicalAddress < $0.fileSize })
        else {
            throw .invalidField(format: .pvh, field: field, value: value,
                                reason: "not inside the file bytes of any PT_LOAD segment (by p_paddr)")
        }
        return value
    }

    /// GDT, start info page, command line and stack, in address order.
    private static func structures(startInfo: [UInt8], commandLine: [UInt8]) -> [PlannedStructure] {
        [
            .gdt,
            PlannedStructure(name: "PVH start info", range: BootLayout.bootInfo, bytes: startInfo),
            PlannedStructure(name: "command line", range: BootLayout.commandLine, bytes: commandLine),
            .stack,
        ]
    }
}
