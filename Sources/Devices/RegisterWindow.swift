/// The `width` bytes at byte `offset` of a little-endian register holding `value`:
/// what a narrow or unaligned read of a wider register returns.
func registerBytes(_ value: UInt64, offset: UInt64, width: Int) -> UInt64 {
    let shifted = offset < 8 ? value >> (8 * offset) : 0
    return width >= 8 ? shifted : shifted & ((1 << (8 * UInt64(width))) - 1)
}
