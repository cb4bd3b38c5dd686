/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of state files.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    /// The checksum of `bytes`, continuing from `initial` (the result of an earlier call).
    public static func checksum<C: Sequence>(_ bytes: C, continuing initial: UInt32 = 0) -> UInt32
        where C.Element == UInt8
    {
        var crc = ~initial
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }
}
