#if canImport(Glibc)
import Glibc
#endif

/// A setrlimit(2) limit for the jailed VMM: `no-file=N` (open files) or
/// `fsize=N` (largest file it may write, bytes), as Firecracker's jailer.
public struct ResourceLimit: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case noFile = "no-file"
        case fileSize = "fsize"
    }

    public var kind: Kind
    public var value: UInt64

    public init(kind: Kind, value: UInt64) {
        self.kind = kind
        self.value = value
    }

    /// Parses "no-file=1024" or "fsize=1048576".
    public static func parse(_ text: String) throws(JailError) -> ResourceLimit {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let kind = Kind(rawValue: String(parts[0])) else {
            throw JailError(.resourceLimit, "'\(text)' is not no-file=N or fsize=N")
        }
        guard let value = UInt64(parts[1]) else {
            throw JailError(.resourceLimit, "'\(parts[1])' in '\(text)' is not a number")
        }
        return ResourceLimit(kind: kind, value: value)
    }

    public var encoded: String { "\(kind.rawValue)=\(value)" }

    /// Sets both the soft and the hard limit of this process.
    public func apply() throws(JailError) {
        var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
        let resource: Int32 = switch kind {
        case .noFile: Int32(RLIMIT_NOFILE.rawValue)
        case .fileSize: Int32(RLIMIT_FSIZE.rawValue)
        }
        guard setrlimit(__rlimit_resource_t(UInt32(resource)), &limit) == 0 else {
            throw .errno(.resourceLimit, "setrlimit \(encoded)")
        }
    }
}
