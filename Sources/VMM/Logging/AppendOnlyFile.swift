#if canImport(Glibc)
import Glibc
#endif

/// A file or FIFO opened for appending lines without ever blocking the caller,
/// as Firecracker opens its log and metrics destinations.
///
/// Opened with `O_APPEND | O_NONBLOCK | O_CLOEXEC` (created, mode 0644, if it
/// does not exist). A FIFO that has no reader yet cannot be opened write-only
/// (`ENXIO`), so it is then opened read-write: the open succeeds, and writes fill
/// the pipe until a reader comes. A line that does not fit (`EAGAIN`) is dropped
/// and counted, never waited for. Lines up to `PIPE_BUF` (4096) bytes reach a
/// FIFO whole or not at all.
public final class AppendOnlyFile: @unchecked Sendable {
    /// The path it was opened at.
    public let path: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    /// Opens `path`; `what` names it in errors ("log file", "metrics file").
    public init(path: String, what: String) throws(FileDestinationError) {
        guard !path.isEmpty else { throw .emptyPath(what: what) }
        let flags = O_APPEND | O_NONBLOCK | O_CLOEXEC
        var fd = Self.open(path, flags | O_WRONLY | O_CREAT)
        if fd < 0 && errno == ENXIO {
            fd = Self.open(path, flags | O_RDWR)  // a FIFO without a reader
        }
        guard fd >= 0 else { throw .cannotOpen(what: what, path: path, errno: errno) }
        var info = stat()
        if fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw .cannotOpen(what: what, path: path, errno: EISDIR)
        }
        self.path = path
        self.descriptor = fd
        self.ownsDescriptor = true
    }

    /// Writes to a descriptor the caller keeps open (standard error).
    public init(borrowing descriptor: Int32, name: String) {
        self.path = name
        self.descriptor = descriptor
        self.ownsDescriptor = false
    }

    /// Standard error, not closed by this object.
    public static func standardError() -> AppendOnlyFile {
        AppendOnlyFile(borrowing: STDERR_FILENO, name: "stderr")
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Writes `bytes` in full, or as much as fits without blocking. Returns false
    /// when any of it was dropped (full FIFO, a write error).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, base + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }

    private static func open(_ path: String, _ flags: Int32) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags, 0o644)
            if fd >= 0 || errno != EINTR { return fd }
        }
    }
}

/// Why a log or metrics destination could not be used.
public enum FileDestinationError: Error, Equatable, CustomStringConvertible {
    case emptyPath(what: String)
    case cannotOpen(what: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case .emptyPath(let what):
            return "\(what): the path is empty"
        case .cannotOpen(let what, let path, let code):
            return "\(what): cannot open \(path): \(String(cString: strerror(code)))"
        }
    }
}
