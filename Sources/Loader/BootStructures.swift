import Memory

/// The VMM structures that protected- and long-mode boots need: the GDT, the
/// identity-mapped page tables and the initial stack. Each is built as bytes so
/// that it can be planned (and checked against the image) before it is written.
enum BootStructures {
    /// GDT entries in selector order: null, code32, data32, code64, data64.
    static let gdtSegments = [BootLayout.flatCode32, BootLayout.flatData32, BootLayout.code64, BootLayout.data64]

    /// GDTR limit: the last byte of the five 8-byte descriptors.
    static let gdtLimit = gdtLimit(gdtSegments)

    /// The Linux boot GDT: null, code32 (0x08), `__BOOT_CS` (0x10), `__BOOT_DS` (0x18),
    /// the layout of the kernel's own boot GDT.
    static let linuxGDTSegments = [BootLayout.flatCode32, BootLayout.linuxCode64, BootLayout.linuxData]

    /// GDTR limit of the Linux boot GDT: four descriptors.
    static let linuxGDTLimit = gdtLimit(linuxGDTSegments)

    /// The last byte of a GDT holding the null descriptor and `segments` (selectors 8, 16, ...).
    static func gdtLimit(_ segments: [Segment]) -> UInt16 { UInt16((segments.count + 1) * 8 - 1) }

    /// The GDT contents, each descriptor at the offset its selector names.
    static func gdtBytes(_ segments: [Segment] = gdtSegments) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(gdtLimit(segments)) + 1)
        for segment in segments {
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

    /// The GDT of a Linux boot, at the same address as the usual one.
    static var linuxGDT: PlannedStructure {
        PlannedStructure(name: "GDT", range: BootLayout.gdt, bytes: BootStructures.gdtBytes(BootStructures.linuxGDTSegments))
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
