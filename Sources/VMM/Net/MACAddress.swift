/// An Ethernet MAC address: six bytes, written `02:00:5e:10:00:01`.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    /// The six bytes, in transmission order.
    public let bytes: [UInt8]

    /// The address of six `bytes`, or nil if there are not six.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    /// Parses six two-digit hex bytes separated by colons (either case); nil otherwise.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.count == 2, part.allSatisfy(\.isHexDigit), let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.bytes = bytes
    }

    /// The group bit: a multicast (or broadcast) address, which no device may own.
    public var isMulticast: Bool { bytes[0] & 1 != 0 }

    /// A locally administered unicast address (02:...) for device `index` over
    /// TAP device `tap`: four bytes of a hash of the name, so that machines with
    /// different TAP devices differ, then the index, so that devices of one
    /// machine differ.
    public static func generated(tap: String, index: Int) -> MACAddress {
        var hash: UInt32 = 0x811C_9DC5
        for byte in tap.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        let bytes: [UInt8] = [0x02] + (0..<4).map { UInt8(truncatingIfNeeded: hash >> (8 * UInt32($0))) }
            + [UInt8(truncatingIfNeeded: index)]
        return MACAddress(exactly: bytes)
    }

    private init(exactly bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var description: String {
        bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: ":")
    }
}
