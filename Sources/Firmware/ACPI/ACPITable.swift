/// A system description table: the 36-byte header every ACPI table but the RSDP
/// and FACS starts with, and a body.
///
/// `bytes` fills in the length and the checksum (the whole table sums to 0 modulo
/// 256). The OEM fields name swift-vmm; the creator is "SVMM".
public struct ACPITable: Sendable, Equatable {
    public static let headerSize = 36
    public static let oemID = "SWIFTV"
    public static let oemTableID = "SWIFTVMM"
    public static let oemRevision: UInt32 = 1
    public static let creatorID = "SVMM"
    public static let creatorRevision: UInt32 = 1

    /// Four ASCII characters: "APIC", "FACP", "DSDT", "XSDT", ...
    public var signature: String
    public var revision: UInt8
    /// Everything after the header.
    public var body: [UInt8]

    public init(signature: String, revision: UInt8, body: [UInt8]) {
        self.signature = signature
        self.revision = revision
        self.body = body
    }

    /// Offset of the checksum byte in the header.
    public static let checksumOffset = 9

    /// The header and body, with length and checksum set.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerSize + body.count)
        bytes.appendASCII(signature, length: 4)
        bytes.appendLE(UInt32(Self.headerSize + body.count))
        bytes.append(revision)
        bytes.append(0)  // Checksum, set below.
        bytes.appendASCII(Self.oemID, length: 6)
        bytes.appendASCII(Self.oemTableID, length: 8)
        bytes.appendLE(Self.oemRevision)
        bytes.appendASCII(Self.creatorID, length: 4)
        bytes.appendLE(Self.creatorRevision)
        bytes += body
        bytes[Self.checksumOffset] = zeroSumChecksum(bytes)
        return bytes
    }
}
