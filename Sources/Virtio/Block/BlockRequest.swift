/// A virtio-blk request header (virtio 1.2 section 5.2.6) and the constants of the
/// block device: request types, status values and feature bits.
public struct BlockRequest: Equatable, Sendable {
    public static let typeIn: UInt32 = 0
    public static let typeOut: UInt32 = 1
    public static let typeFlush: UInt32 = 4
    public static let typeGetID: UInt32 = 8
    public static let typeDiscard: UInt32 = 11

    public static let statusOK: UInt8 = 0
    public static let statusIOError: UInt8 = 1
    public static let statusUnsupported: UInt8 = 2

    public static let featureSegmentMax: UInt64 = 1 << 2
    public static let featureReadOnly: UInt64 = 1 << 5
    public static let featureFlush: UInt64 = 1 << 9
    public static let featureDiscard: UInt64 = 1 << 13

    /// Bytes of the header: type, reserved, sector.
    public static let headerSize = 16
    /// Bytes of one discard segment: sector, sector count, flags.
    public static let discardSegmentSize = 16
    /// Bytes of the GET_ID answer.
    public static let idSize = 20

    public var type: UInt32
    public var sector: UInt64

    public init(type: UInt32, sector: UInt64) {
        self.type = type
        self.sector = sector
    }

    /// Parses the first 16 bytes of `bytes`; nil if there are fewer.
    public init?(header bytes: [UInt8]) {
        guard bytes.count >= Self.headerSize else { return nil }
        type = Self.littleEndian(bytes, at: 0, count: 4).map(UInt32.init(truncatingIfNeeded:)) ?? 0
        sector = Self.littleEndian(bytes, at: 8, count: 8) ?? 0
    }

    /// The little-endian integer of `count` bytes at `offset`, or nil if `bytes` is too short.
    static func littleEndian(_ bytes: [UInt8], at offset: Int, count: Int) -> UInt64? {
        guard offset >= 0, count <= 8, offset + count <= bytes.count else { return nil }
        var value: UInt64 = 0
        for i in 0..<count { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value
    }
}
