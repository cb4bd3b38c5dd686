import Memory

/// The VMM structures that protected- and long-mode boots need: the GDT, the
/// identity-mapped page tables and the initial stack. Each is built as bytes so
/// that it can be planned (and checked against the image) before it is written.
enum BootStructures {
    /// GDT entries in selector order: null, code32, data32, code64, data64.
    static let gdtSegments = [BootLayout.flatCode32, BootLayout.flatData32, BootLayout.code64, BootLayout.data64]

    /// GDTR limit: the last byte of the five 8-byte descriptors.
    static let gdtLimit = UInt16((gdtSegments.count + 1) * 8 - 1)

    /// The GDT contents, each descriptor at the offset its selector names.
    static func gdtBytes() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(gdtLimit) + 1)
        for segment in gdtSegments {
            bytes.storeLittleEndian(segment.descriptor, at: Int(segment.selector))
        }
        return bytes
    }

    /// Page-table entry bits: present, writable, and (in a page directory) 2 MiB page.
    static let present: UInt64 = 1 << 0
    static let writable: UInt64 = 1 << 1
    static let largePage: UInt64 = 1 << 7

    /// Identity map of `[0, 4 GiB)` with 2 MiB pages, laid out as `BootLayout.pageTables`:
    /// PML4 -> one PDPT -> four page directories of 512 entries each.
    static func pageTableBytes() -> [UInt8] {
        let base = BootLayout.pageTables.start.rawValue
        var bytes = [UInt8](repeating: 0, count: Int(BootLayout.pageTables.size))
        let pml4 = Int(BootLayout.pml4.rawValue - base)
        let pdpt = Int(BootLayout.pdpt.rawValue - base)
        bytes.storeLittleEndian(BootLayout.pdpt.rawValue | present | writable, at: pml4)
        for directory in 0..<4 {
            let directoryAddress = BootLayout.pageDirectories.rawValue + UInt64(directory) * 0x1000
            bytes.storeLittleEndian(directoryAddress | present | writable, at: pdpt + directory * 8)
            let directoryOffset = Int(directoryAddress - base)
            for entry in 0..<512 {
                let page = (UInt64(directory) << 30) | (UInt64(entry) << 21)
                bytes.storeLittleEndian(page | present | writable | largePage, at: directoryOffset + entry * 8)
            }
        }
        return bytes
    }
}

extension PlannedStructure {
    static var gdt: PlannedStructure {
        PlannedStructure(name: "GDT", range: BootLayout.gdt, bytes: BootStructures.gdtBytes())
    }

    static var pageTables: PlannedStructure {
        PlannedStructure(name: "page tables", range: BootLayout.pageTables, bytes: BootStructures.pageTableBytes())
    }

    /// The stack page is zeroed; the boot vCPU's stack pointer starts at its top.
    static var stack: PlannedStructure {
        PlannedStructure(name: "stack", range: BootLayout.stack, bytes: [])
    }

    /// The structures a boot in `mode` needs (besides format-specific ones such as
    /// the multiboot information). Real mode needs none.
    static func required(for mode: CPUMode) -> [PlannedStructure] {
        switch mode {
        case .real: return []
        case .protected: return [.gdt, .stack]
        case .long: return [.gdt, .pageTables, .stack]
        }
    }
}
