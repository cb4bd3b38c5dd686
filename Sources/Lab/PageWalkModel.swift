/// One entry read during a walk of x86-64 page tables.
public struct PageWalkStep: Codable, Sendable, Equatable {
    /// PML5, PML4, PDPT, PD or PT.
    public var table: String
    public var index: Int
    /// Guest physical address of the entry.
    public var entryAddress: UInt64
    public var value: UInt64
    /// Where it leads: the next table, or the page it maps (nil when not present).
    public var next: UInt64?
    /// Set when this entry maps a page (4 KiB, 2 MiB, 1 GiB).
    public var pageSize: UInt64?

    public var flags: [String] { PageWalker.flagNames(value, leaf: pageSize != nil) }
}

/// A guest virtual address translated by reading the guest's own page tables.
public struct GuestPageWalk: Codable, Sendable, Equatable {
    public var virtualAddress: UInt64
    public var cr3: UInt64
    public var steps: [PageWalkStep]
    public var physicalAddress: UInt64?
    public var pageSize: UInt64?
    /// Why the walk stopped without a translation.
    public var fault: String?

    /// Entries read: what a native (one-dimensional) walk costs in memory references.
    public var guestReferences: Int { steps.count }
    /// The guest physical addresses a two-dimensional walk must itself translate:
    /// each table entry read, then the final address.
    public var translatedAddresses: [UInt64] { steps.map(\.entryAddress) + (physicalAddress.map { [$0] } ?? []) }
}

/// Walks 4-level (or, with CR4.LA57, 5-level) x86-64 page tables.
public enum PageWalker {
    static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
    static let names = ["PML5", "PML4", "PDPT", "PD", "PT"]

    /// Walks the tables at `cr3` for `virtualAddress`; `read` returns the 8-byte
    /// entry at a guest physical address (nil when that is not guest RAM).
    public static func walk(virtualAddress: UInt64, cr3: UInt64, fiveLevel: Bool = false,
                            read: (UInt64) -> UInt64?) -> GuestPageWalk {
        var walk = GuestPageWalk(virtualAddress: virtualAddress, cr3: cr3, steps: [])
        var table = cr3 & addressMask
        let levels = fiveLevel ? 5 : 4
        for depth in 0..<levels {
            let level = levels - depth  // 5..1 or 4..1
            let shift = UInt64(12 + 9 * (level - 1))
            let index = Int((virtualAddress >> shift) & 0x1FF)
            let entryAddress = table + UInt64(index) * 8
            let name = names[names.count - level]
            guard let value = read(entryAddress) else {
                walk.fault = "\(name) entry at 0x\(String(entryAddress, radix: 16)) is not in guest RAM"
                return walk
            }
            var step = PageWalkStep(table: name, index: index, entryAddress: entryAddress, value: value)
            guard value & 1 != 0 else {
                walk.steps.append(step)
                walk.fault = "\(name)[\(index)] is not present"
                return walk
            }
            let large = value & 0x80 != 0 && (level == 2 || level == 3)
            if level == 1 || large {
                let size: UInt64 = 1 << shift
                let base = value & addressMask & ~(size - 1)
                step.next = base
                step.pageSize = size
                walk.steps.append(step)
                walk.physicalAddress = base | (virtualAddress & (size - 1))
                walk.pageSize = size
                return walk
            }
            table = value & addressMask
            step.next = table
            walk.steps.append(step)
        }
        return walk
    }

    /// The names of the set flag bits of an entry.
    public static func flagNames(_ value: UInt64, leaf: Bool) -> [String] {
        var names: [String] = []
        let bits: [(UInt64, String)] = [(0, "P"), (1, "RW"), (2, "US"), (3, "PWT"), (4, "PCD"), (5, "A")]
        for (bit, name) in bits where value & (1 << bit) != 0 { names.append(name) }
        if leaf && value & (1 << 6) != 0 { names.append("D") }
        if value & (1 << 7) != 0 && leaf { names.append("PS") }
        if leaf && value & (1 << 8) != 0 { names.append("G") }
        if value & (1 << 63) != 0 { names.append("NX") }
        return names
    }

    /// "4 KiB", "2 MiB", "1 GiB".
    public static func sizeName(_ size: UInt64) -> String {
        if size >= 1 << 30 { return "\(size >> 30) GiB" }
        if size >= 1 << 20 { return "\(size >> 20) MiB" }
        return "\(size >> 10) KiB"
    }
}

/// The memory references of a two-dimensional (guest tables, then EPT/NPT) walk
/// with empty TLBs and paging-structure caches. MODELLED, not measured: each
/// guest table entry sits at a guest physical address that the host tables must
/// translate first (host levels reads), then the entry itself is read (1), and
/// the final guest physical address is translated too.
public enum NestedWalkModel {
    /// Levels a walk reads to map a page of `pageSize` with 4-level tables
    /// (4 for 4 KiB, 3 for 2 MiB, 2 for 1 GiB).
    public static func levels(pageSize: UInt64) -> Int {
        pageSize >= 1 << 30 ? 2 : pageSize >= 1 << 21 ? 3 : 4
    }

    /// g guest levels, h host levels for every address: g (h + 1) + h = (g + 1)(h + 1) - 1.
    public static func references(guestLevels g: Int, hostLevels h: Int) -> Int {
        g * (h + 1) + h
    }

    /// Host levels given per translated address: the guest's entries (in order), then the final address.
    public static func references(hostLevelsPerAddress levels: [Int]) -> Int {
        guard let final = levels.last else { return 0 }
        return levels.dropLast().reduce(0) { $0 + $1 + 1 } + final
    }
}
