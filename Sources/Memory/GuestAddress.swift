/// A guest physical address.
///
/// A distinct type so that guest addresses, host pointers, offsets and sizes are
/// never mixed up by accident.
public struct GuestAddress: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ value: UInt64) { self.rawValue = value }

    @inlinable public static func < (lhs: GuestAddress, rhs: GuestAddress) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// The address `offset` bytes further on, or nil if that overflows 64 bits.
    @inlinable public func adding(_ offset: UInt64) -> GuestAddress? {
        let (sum, overflow) = rawValue.addingReportingOverflow(offset)
        return overflow ? nil : GuestAddress(sum)
    }

    public var description: String { "0x" + String(rawValue, radix: 16) }
}

/// A half-open range of guest physical addresses `[start, start + size)`.
public struct GuestRange: Hashable, Sendable, CustomStringConvertible {
    public let start: GuestAddress
    public let size: UInt64

    public init(start: GuestAddress, size: UInt64) {
        self.start = start
        self.size = size
    }

    /// One past the last byte, computed without overflow (a range may end at 2^64).
    public var end: UInt64 { start.rawValue &+ size }

    public func contains(_ address: GuestAddress) -> Bool {
        address.rawValue >= start.rawValue && address.rawValue - start.rawValue < size
    }

    public func overlaps(_ other: GuestRange) -> Bool {
        guard size > 0, other.size > 0 else { return false }
        // Compare distances from the lower start, so a range ending at 2^64 works.
        if start <= other.start {
            return other.start.rawValue - start.rawValue < size
        }
        return start.rawValue - other.start.rawValue < other.size
    }

    public var description: String {
        let (end, overflow) = start.rawValue.addingReportingOverflow(size)
        let endText = overflow && end == 0 ? "10000000000000000" : String(end, radix: 16)
        return "[0x\(String(start.rawValue, radix: 16)), 0x\(endText))"
    }
}
