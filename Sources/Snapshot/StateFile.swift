/// The snapshot state file: named sections in a versioned, checksummed container.
///
/// Layout (little-endian): magic "SWVMSNAP" (8 bytes), format version (UInt32),
/// section count (UInt32), then per section its name (length-prefixed UTF-8) and
/// payload (UInt64 length, bytes), and last a CRC-32 of everything before it.
/// `decode` verifies the magic, version and checksum before it parses anything,
/// so a changed or truncated file is rejected whole.
public struct StateFile: Sendable, Equatable {
    public static let magic: [UInt8] = Array("SWVMSNAP".utf8)
    /// 2: the machine shape records ACPI, and virtio devices skip GSI 9 (the SCI).
    public static let currentVersion: UInt32 = 2
    public static let supportedVersions: ClosedRange<UInt32> = 2...2
    /// Sections larger than this are refused on reading (a guest's state is kilobytes).
    public static let largestSection = 64 << 20
    public static let mostSections = 4096

    public var version: UInt32
    /// Sections in file order; names are unique.
    public private(set) var sections: [(name: String, payload: [UInt8])]

    public init(version: UInt32 = StateFile.currentVersion) {
        self.version = version
        self.sections = []
    }

    /// Adds a section; a second one with the same name replaces the first.
    public mutating func set(_ name: String, _ payload: [UInt8]) {
        if let index = sections.firstIndex(where: { $0.name == name }) {
            sections[index].payload = payload
        } else {
            sections.append((name, payload))
        }
    }

    public func section(_ name: String) -> [UInt8]? {
        sections.first(where: { $0.name == name })?.payload
    }

    /// A section's payload as a reader, or `missingSection`.
    public func reader(_ name: String) throws(SnapshotError) -> StateReader {
        guard let payload = section(name) else { throw .missingSection(name) }
        return StateReader(payload, context: name)
    }

    public func encoded() -> [UInt8] {
        var writer = StateWriter()
        writer.write(raw: Self.magic)
        writer.write(version)
        writer.write(UInt32(sections.count))
        for section in sections {
            writer.write(section.name)
            writer.write(UInt64(section.payload.count))
            writer.write(raw: section.payload)
        }
        var bytes = writer.bytes
        let crc = CRC32.checksum(bytes)
        for index in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt32(index)))) }
        return bytes
    }

    public init(decoding bytes: [UInt8]) throws(SnapshotError) {
        guard bytes.count >= Self.magic.count, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw .notASnapshot(what: "the file does not start with \"SWVMSNAP\"")
        }
        guard bytes.count >= Self.magic.count + 12 else {
            throw .truncated(what: "header", needed: Self.magic.count + 12, left: bytes.count)
        }
        var header = StateReader(Array(bytes[Self.magic.count..<Self.magic.count + 4]), context: "header")
        let version = try header.readUInt32("version")
        guard Self.supportedVersions.contains(version) else {
            throw .unsupportedVersion(found: version, supported: Self.supportedVersions)
        }
        let body = Array(bytes.dropLast(4))
        var trailer = StateReader(Array(bytes.suffix(4)), context: "trailer")
        let stored = try trailer.readUInt32("checksum")
        let computed = CRC32.checksum(body)
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        var reader = StateReader(body, context: "state file")
        _ = try reader.readRaw("magic", count: Self.magic.count)
        _ = try reader.readUInt32("version")
        let count = Int(try reader.readUInt32("section count"))
        guard count <= Self.mostSections else {
            throw .invalidValue(field: "section count", reason: "\(count) is more than \(Self.mostSections)")
        }
        self.version = version
        self.sections = []
        for _ in 0..<count {
            let name = try reader.readString("section name", maximumCount: 256)
            let length = try reader.readUInt64("section \(name) length")
            guard length <= UInt64(Self.largestSection) else {
                throw .invalidValue(field: "section \(name)", reason: "\(length) bytes is more than the limit")
            }
            guard section(name) == nil else {
                throw .invalidValue(field: "section \(name)", reason: "appears twice")
            }
            sections.append((name, try reader.readRaw("section \(name)", count: Int(length))))
        }
        try reader.finish()
    }

    public static func == (lhs: StateFile, rhs: StateFile) -> Bool {
        lhs.version == rhs.version && lhs.sections.map(\.name) == rhs.sections.map(\.name)
            && lhs.sections.map(\.payload) == rhs.sections.map(\.payload)
    }
}
