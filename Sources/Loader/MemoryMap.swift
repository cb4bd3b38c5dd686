import Memory

/// One entry of a PC memory map, as the multiboot mmap (and the E820 table of the
/// Linux boot protocol) describe RAM to a guest.
public struct MemoryMapEntry: Sendable, Equatable {
    public enum Kind: UInt32, Sendable {
        case ram = 1
        case reserved = 2
        /// ACPI tables (reclaimable once the OS has read them).
        case acpi = 3
    }

    public var base: GuestAddress
    public var length: UInt64
    public var kind: Kind

    public init(base: GuestAddress, length: UInt64, kind: Kind) {
        self.base = base
        self.length = length
        self.kind = kind
    }
}

/// The memory map a PC guest sees, derived from the RAM regions.
public enum MemoryMap {
    /// Conventional memory ends where the extended BIOS data area starts (639 KiB).
    public static let conventionalEnd: UInt64 = 0x9_FC00
    /// The EBDA, reserved, up to the VGA window at 640 KiB.
    public static let ebda = GuestRange(start: GuestAddress(conventionalEnd), size: 0xA_0000 - conventionalEnd)
    /// The system BIOS area, reserved.
    public static let biosArea = GuestRange(start: GuestAddress(0xF_0000), size: 0x1_0000)
    /// Extended memory starts at 1 MiB.
    public static let extendedStart: UInt64 = 0x10_0000

    /// RAM below 639 KiB, the EBDA and BIOS areas as reserved, and RAM from 1 MiB up
    /// (each region clipped; a region above 4 GiB is one entry), sorted by address.
    /// The legacy window [640 KiB, 960 KiB) is left out: it is neither RAM nor ours.
    /// `acpiTables`, when given (inside that window), is listed as ACPI data.
    public static func pc(for memory: GuestMemory, acpiTables: GuestRange? = nil) -> [MemoryMapEntry] {
        var entries = [
            MemoryMapEntry(base: ebda.start, length: ebda.size, kind: .reserved),
            MemoryMapEntry(base: biosArea.start, length: biosArea.size, kind: .reserved),
        ]
        if let acpiTables { entries.append(MemoryMapEntry(base: acpiTables.start, length: acpiTables.size, kind: .acpi)) }
        for region in memory.regions.map(\.range) {
            let start = region.start.rawValue
            if start < conventionalEnd {
                let end = min(region.end, conventionalEnd)
                entries.append(MemoryMapEntry(base: region.start, length: end - start, kind: .ram))
            }
            if region.end > extendedStart {
                let base = max(start, extendedStart)
                entries.append(MemoryMapEntry(base: GuestAddress(base), length: region.end - base, kind: .ram))
            }
        }
        return entries.sorted { $0.base < $1.base }
    }

    /// KiB of usable RAM from address 0, up to the EBDA at 639 KiB (multiboot
    /// `mem_lower`): the same RAM the memory map lists below 1 MiB, as QEMU and
    /// BIOSes report it.
    public static func lowerMemoryKiB(_ memory: GuestMemory) -> UInt32 {
        guard let low = memory.regions.first(where: { $0.range.start.rawValue == 0 }) else { return 0 }
        return UInt32(min(low.range.size, conventionalEnd) / 1024)
    }

    /// KiB of RAM contiguous from 1 MiB up to the first hole (multiboot `mem_upper`).
    public static func upperMemoryKiB(_ memory: GuestMemory) -> UInt32 {
        guard let region = memory.regions.first(where: { $0.range.contains(GuestAddress(extendedStart)) }) else {
            return 0
        }
        return UInt32(clamping: (region.range.end - extendedStart) / 1024)
    }
}
