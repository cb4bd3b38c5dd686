/// Appends little-endian fields to a byte buffer: the encoding of every piece of
/// saved state (vCPU registers, devices, queues). Pair with `StateReader`.
public struct StateWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write(_ value: UInt8) { bytes.append(value) }
    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }
    public mutating func write(_ value: UInt16) { append(UInt64(value), count: 2) }
    public mutating func write(_ value: UInt32) { append(UInt64(value), count: 4) }
    public mutating func write(_ value: UInt64) { append(value, count: 8) }
    public mutating func write(_ value: Int64) { append(UInt64(bitPattern: value), count: 8) }
    /// An `Int` as 64 bits.
    public mutating func write(_ value: Int) { write(Int64(value)) }

    /// A byte string with its length (UInt32) in front.
    public mutating func write<C: Collection>(bytes value: C) where C.Element == UInt8 {
        write(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    /// UTF-8 text with its length in front.
    public mutating func write(_ value: String) { write(bytes: Array(value.utf8)) }

    /// Bytes as they are, no length: for fixed-size blocks the reader knows the size of.
    public mutating func write<C: Collection>(raw value: C) where C.Element == UInt8 {
        bytes.append(contentsOf: value)
    }

    /// An optional value: a presence byte, then the value.
    public mutating func write<T>(optional value: T?, _ body: (inout StateWriter, T) -> Void) {
        write(value != nil)
        if let value { body(&self, value) }
    }

    private mutating func append(_ value: UInt64, count: Int) {
        for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }
}
