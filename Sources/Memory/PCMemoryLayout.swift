/// Where RAM goes in a PC's guest physical address space.
///
/// RAM starts at 0. The 1 GiB below 4 GiB is a hole for MMIO devices (the IOAPIC,
/// local APIC, virtio-mmio windows and so on); RAM that does not fit below the hole
/// continues at 4 GiB.
public enum PCMemoryLayout {
    /// Start of the MMIO hole below 4 GiB (3 GiB).
    public static let mmioHoleStart: UInt64 = 0xC000_0000
    /// End of the MMIO hole: 4 GiB.
    public static let mmioHoleEnd: UInt64 = 0x1_0000_0000

    /// The MMIO hole as a range.
    public static var mmioHole: GuestRange {
        GuestRange(start: GuestAddress(mmioHoleStart), size: mmioHoleEnd - mmioHoleStart)
    }

    /// The RAM ranges for `ramSize` bytes of guest memory: one below the hole and,
    /// when the RAM is larger than the space below the hole, one from 4 GiB up.
    public static func ramRanges(ramSize: UInt64) -> [GuestRange] {
        if ramSize <= mmioHoleStart {
            return [GuestRange(start: GuestAddress(0), size: ramSize)]
        }
        return [
            GuestRange(start: GuestAddress(0), size: mmioHoleStart),
            GuestRange(start: GuestAddress(mmioHoleEnd), size: ramSize - mmioHoleStart),
        ]
    }
}
