/// A cursor over a fuzzer's input: takes integers and byte runs from the front,
/// and yields zeros once the input is used up, so every input decodes to something.
public struct FuzzInput {
    private let bytes: [UInt8]
    /// The next byte to take.
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Bytes not yet taken.
    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    /// The next byte, or 0 past the end.
    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A little-endian integer of `T`'s width (missing bytes are 0).
    public mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type = T.self) -> T {
        var value: T = 0
        for index in 0..<(T.bitWidth / 8) { value |= T(byte()) << (8 * index) }
        return value
    }

    /// Up to `count` bytes.
    public mutating func bytes(upTo count: Int) -> [UInt8] {
        let taken = min(max(count, 0), remaining)
        guard taken > 0 else { return [] }
        defer { offset += taken }
        return Array(bytes[offset..<offset + taken])
    }

    /// Everything not yet taken.
    public mutating func rest() -> [UInt8] { bytes(upTo: remaining) }
}
