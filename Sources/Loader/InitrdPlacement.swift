import Memory

/// Where a Linux initrd goes: page-aligned, as high as possible below the lower of
/// the kernel's initrd_addr_max and the top of the RAM below 4 GiB, above 1 MiB, and
/// clear of the kernel (including the memory it decompresses into) and the VMM's
/// structures. High placement keeps the initrd out of the kernel's way as it unpacks
/// itself and sets up its early page tables, as QEMU and GRUB do.
enum InitrdPlacement {
    static let pageSize: UInt64 = 0x1000

    /// The range for an initrd of `size` bytes, or `.initrdDoesNotFit` saying which
    /// limit applied and how much room there was.
    static func place(size: UInt64, initrdAddressMax: UInt32, avoiding blocked: [GuestRange],
                      memory: GuestMemory) throws(LoaderError) -> GuestRange {
        let floor = MemoryMap.extendedStart
        let (ceiling, limitedBy) = Self.ceiling(initrdAddressMax: initrdAddressMax, memory: memory)
        var end = ceiling
        while end >= floor, end - floor >= size {
            let start = (end - size) & ~(pageSize - 1)
            guard start >= floor else { break }
            let candidate = GuestRange(start: GuestAddress(start), size: size)
            guard let blocker = blocked.first(where: { $0.overlaps(candidate) }) else {
                return candidate
            }
            // The blocker starts below `end`, so each step moves strictly down.
            end = blocker.start.rawValue
        }
        let largest = largestFree(from: floor, to: ceiling, avoiding: blocked)
        throw .initrdDoesNotFit(size: size, ceiling: ceiling, limitedBy: limitedBy, largestFree: largest)
    }

    /// The lower of initrd_addr_max + 1 and the end of the RAM region holding 1 MiB
    /// (capped at 4 GiB: ramdisk_image is a 32-bit field), with what set it.
    static func ceiling(initrdAddressMax: UInt32, memory: GuestMemory) -> (UInt64, String) {
        let low = memory.regions.map(\.range).first { $0.contains(GuestAddress(MemoryMap.extendedStart)) }
        let ramTop = min(low?.end ?? MemoryMap.extendedStart, PCMemoryLayout.mmioHoleEnd)
        let addressLimit = UInt64(initrdAddressMax) + 1
        if addressLimit < ramTop {
            return (addressLimit, "the kernel's initrd_addr_max is \(hex(initrdAddressMax))")
        }
        return (ramTop, "the end of RAM below 4 GiB")
    }

    /// The most bytes a page-aligned range in `[floor, ceiling)` outside `blocked` can hold.
    static func largestFree(from floor: UInt64, to ceiling: UInt64, avoiding blocked: [GuestRange]) -> UInt64 {
        var largest: UInt64 = 0
        var cursor = floor
        for range in blocked.sorted(by: { $0.start < $1.start }) where range.end > cursor && cursor < ceiling {
            let gapStart = alignUp(cursor)
            let gapEnd = min(range.start.rawValue, ceiling)
            if gapEnd > gapStart { largest = max(largest, gapEnd - gapStart) }
            cursor = range.end
        }
        let gapStart = alignUp(cursor)
        if ceiling > gapStart { largest = max(largest, ceiling - gapStart) }
        return largest
    }

    private static func alignUp(_ value: UInt64) -> UInt64 {
        (value &+ pageSize - 1) & ~(pageSize - 1)
    }
}
