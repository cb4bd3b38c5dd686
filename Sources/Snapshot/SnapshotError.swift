/// Why a snapshot could not be written or read. Each case names what was wrong,
/// so a corrupted or mismatched snapshot is rejected with a message a person can act on.
public enum SnapshotError: Error, Equatable, CustomStringConvertible {
    /// The file does not start with the snapshot magic: not a swift-vmm state file.
    case notASnapshot(what: String)
    /// The format version is not one this build reads.
    case unsupportedVersion(found: UInt32, supported: ClosedRange<UInt32>)
    /// The stored checksum does not match the contents: the file was changed or cut.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// A field ended before its bytes did.
    case truncated(what: String, needed: Int, left: Int)
    /// A field holds a value that cannot be right.
    case invalidValue(field: String, reason: String)
    /// A section the machine needs is absent.
    case missingSection(String)
    /// The snapshot describes a different machine than the one it is loaded into.
    case mismatch(what: String, snapshot: String, machine: String)
    /// The host cannot restore what the snapshot holds.
    case unsupported(String)
    /// A file could not be read or written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .notASnapshot(let what): return "not a swift-vmm snapshot: \(what)"
        case .unsupportedVersion(let found, let supported):
            return "snapshot format version \(found) is not supported (this build reads "
                + "\(supported.lowerBound)...\(supported.upperBound))"
        case .checksumMismatch(let stored, let computed):
            return "snapshot checksum mismatch (stored 0x\(String(stored, radix: 16)), computed "
                + "0x\(String(computed, radix: 16))): the file is corrupted or truncated"
        case .truncated(let what, let needed, let left):
            return "snapshot truncated in \(what): \(needed) bytes needed, \(left) left"
        case .invalidValue(let field, let reason): return "snapshot field \(field): \(reason)"
        case .missingSection(let name): return "snapshot has no '\(name)' section"
        case .mismatch(let what, let snapshot, let machine):
            return "snapshot does not fit this machine: \(what) is \(snapshot) in the snapshot, \(machine) here"
        case .unsupported(let detail): return "cannot restore snapshot: \(detail)"
        case .io(let path, let reason): return "snapshot file \(path): \(reason)"
        }
    }
}
