#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why the API server could not start or listen.
public enum APIServerError: Error, Equatable, Sendable, CustomStringConvertible {
    case pathTooLong(path: String, limit: Int)
    case notASocket(path: String)
    case socketInUse(path: String)
    case cannotRemoveStaleSocket(path: String, errno: Int32)
    case cannotInspect(path: String, errno: Int32)
    case bindFailed(path: String, reason: String)
    case alreadyStarted
    /// A seccomp filter could not be installed on one of the server's threads.
    case seccompFailed(thread: String, reason: String)

    public var description: String {
        switch self {
        case .seccompFailed(let thread, let reason):
            return "cannot install the seccomp filter on the API \(thread) thread: \(reason)"
        case .pathTooLong(let path, let limit):
            return "API socket path \(path) is \(path.utf8.count) bytes long; the limit is \(limit)."
        case .notASocket(let path):
            return "API socket path \(path) exists and is not a socket; refusing to replace it."
        case .socketInUse(let path):
            return "API socket \(path) is in use: another process is listening on it."
        case .cannotRemoveStaleSocket(let path, let code):
            return "cannot remove the stale API socket \(path): \(String(cString: strerror(code)))."
        case .cannotInspect(let path, let code):
            return "cannot inspect the API socket path \(path): \(String(cString: strerror(code)))."
        case .bindFailed(let path, let reason):
            return "cannot listen on the API socket \(path): \(reason)"
        case .alreadyStarted:
            return "the API server is already started."
        }
    }
}

/// Checks a Unix socket path before binding: a stale socket is removed, anything else
/// that exists (a file, a directory, a socket someone listens on) is refused.
enum UnixSocketPath {
    /// `sizeof(sockaddr_un.sun_path) - 1`.
    static let maxLength = 107

    static func prepare(_ path: String) throws(APIServerError) {
        guard !path.isEmpty, path.utf8.count <= maxLength else {
            throw .pathTooLong(path: path, limit: maxLength)
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { return }
            throw .cannotInspect(path: path, errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw .notASocket(path: path)
        }
        if isListening(path) {
            throw .socketInUse(path: path)
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw .cannotRemoveStaleSocket(path: path, errno: errno)
        }
    }

    /// True if connecting to `path` succeeds (a server is listening).
    static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { _ = Glibc.close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() where index < raw.count - 1 {
                raw[index] = byte
            }
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
