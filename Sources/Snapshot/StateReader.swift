/// Reads the fields a `StateWriter` wrote, in the same order, each bounds-checked:
/// a short or malformed buffer is an error naming the field, never a crash.
public struct StateReader: Sendable {
    private let bytes: [UInt8]
    public private(set) var offset: Int
    /// What is being read, for error messages (e.g. "serial", "vcpu 1 lapic").
    public let context: String

    public init(_ bytes: [UInt8], context: String) {
        self.bytes = bytes
        self.offset = 0
        self.context = context
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func read(_ field: String = "byte") throws(SnapshotError) -> UInt8 {
        UInt8(try integer(1, field))
    }

    public mutating func readBool(_ field: String) throws(SnapshotError) -> Bool {
        let value = try read(field)
        guard value <= 1 else {
            throw .invalidValue(field: "\(context).\(field)", reason: "\(value) is not a boolean")
        }
        return value == 1
    }

    public mutating func readUInt16(_ field: String) throws(SnapshotError) -> UInt16 {
        UInt16(try integer(2, field))
    }

    public mutating func readUInt32(_ field: String) throws(SnapshotError) -> UInt32 {
        UInt32(try integer(4, field))
    }

    public mutating func readUInt64(_ field: String) throws(SnapshotError) -> UInt64 {
        try integer(8, field)
    }

    public mutating func readInt64(_ field: String) throws(SnapshotError) -> Int64 {
        Int64(bitPattern: try integer(8, field))
    }

    /// An `Int` written with `write(_: Int)`, checked to lie in `range`.
    public mutating func readInt(_ field: String, in range: ClosedRange<Int> = Int.min...Int.max)
        throws(SnapshotError) -> Int
    {
        let value = try readInt64(field)
        guard value >= Int64(range.lowerBound), value <= Int64(range.upperBound) else {
            throw .invalidValue(field: "\(context).\(field)", reason: "\(value) is outside \(range)")
        }
        return Int(value)
    }

    /// A length-prefixed byte string of at most `maximumCount` bytes.
    public mutating func readBytes(_ field: String, maximumCount: Int) throws(SnapshotError) -> [UInt8] {
        let count = Int(try readUInt32("\(field) length"))
        guard count <= maximumCount else {
            throw .invalidValue(field: "\(context).\(field)", reason: "\(count) bytes is more than \(maximumCount)")
        }
        return try readRaw(field, count: count)
    }

    /// Length-prefixed UTF-8 text of at most `maximumCount` bytes.
    public mutating func readString(_ field: String, maximumCount: Int = 4096) throws(SnapshotError) -> String {
        let raw = try readBytes(field, maximumCount: maximumCount)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw .invalidValue(field: "\(context).\(field)", reason: "not UTF-8")
        }
        return text
    }

    /// Exactly `count` bytes, no length in front.
    public mutating func readRaw(_ field: String, count: Int) throws(SnapshotError) -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw .truncated(what: "\(context).\(field)", needed: count, left: remaining)
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// An optional value written with `StateWriter.write(optional:_:)`.
    public mutating func readOptional<T>(_ field: String, _ body: (inout StateReader) throws(SnapshotError) -> T)
        throws(SnapshotError) -> T?
    {
        try readBool("\(field) present") ? try body(&self) : nil
    }

    /// Fails unless every byte was read: trailing bytes mean the layout is not the one expected.
    public func finish() throws(SnapshotError) {
        guard isAtEnd else {
            throw .invalidValue(field: context, reason: "\(remaining) unexpected bytes at the end")
        }
    }

    private mutating func integer(_ count: Int, _ field: String) throws(SnapshotError) -> UInt64 {
        guard remaining >= count else {
            throw .truncated(what: "\(context).\(field)", needed: count, left: remaining)
        }
        var value: UInt64 = 0
        for index in 0..<count { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        offset += count
        return value
    }
}
