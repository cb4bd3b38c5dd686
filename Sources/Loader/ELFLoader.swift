import Memory

/// Loads a plain (non-multiboot) x86 ELF executable: every PT_LOAD segment at its
/// physical address, then a jump to the entry point in 32-bit protected mode
/// (ELF32) or in 64-bit long mode with an identity map of the first 4 GiB (ELF64).
enum ELFLoader {
    static func plan(_ image: [UInt8]) throws(LoaderError) -> (LoadPlan, BootPlan) {
        let elf = try ELFFile(parsing: image)
        let entry = try elf.physicalEntry()
        let mode: CPUMode = elf.format == .elf64 ? .long : .protected
        if mode == .long {
            // The identity map built for long mode covers only the first 4 GiB.
            guard entry < PCMemoryLayout.mmioHoleEnd else {
                throw .invalidField(format: elf.format, field: "e_entry", value: entry,
                                    reason: "above 4 GiB, outside the identity map the VMM builds")
            }
        }
        let load = LoadPlan(pieces: try elf.pieces(), structures: PlannedStructure.required(for: mode))
        return (load, BootPlan(format: elf.format, pagedMode: mode, entry: entry, load: load))
    }
}
