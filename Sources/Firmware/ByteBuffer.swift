/// Byte helpers shared by the firmware table builders (MP table, ACPI).
extension Array where Element == UInt8 {
    /// Appends `value` in little-endian byte order.
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        for i in 0..<(T.bitWidth / 8) {
            append(UInt8(truncatingIfNeeded: value >> (8 * i)))
        }
    }

    /// Overwrites `T.bitWidth / 8` bytes at `offset` with `value`, little-endian.
    mutating func storeLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        for i in 0..<(T.bitWidth / 8) {
            self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i))
        }
    }

    /// Appends `text` as ASCII, cut or padded with `pad` to `length` bytes.
    mutating func appendASCII(_ text: String, length: Int, pad: UInt8 = 0x20) {
        let ascii = Array(text.utf8.prefix(length))
        self += ascii + [UInt8](repeating: pad, count: length - ascii.count)
    }
}

/// The byte that makes `bytes` sum to 0 modulo 256 (its own slot holding 0).
func zeroSumChecksum<C: Collection>(_ bytes: C) -> UInt8 where C.Element == UInt8 {
    0 &- bytes.reduce(0, &+)
}
