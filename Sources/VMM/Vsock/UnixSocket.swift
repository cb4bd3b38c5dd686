#if canImport(Glibc)
import Glibc
#endif

/// Non-blocking, close-on-exec Unix stream sockets: listen, connect, accept.
enum UnixSocket {
    private typealias Accept4 = @convention(c) (
        Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32
    ) -> Int32

    /// accept4(2) is not imported by Swift's Glibc module; looked up once.
    private static let accept4Function: Accept4? = dlsym(nil, "accept4").map { unsafeBitCast($0, to: Accept4.self) }

    private static let socketFlags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)

    /// The address for `path`, or nil when it does not fit sun_path with its NUL.
    static func address(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let fits = withUnsafeMutableBytes(of: &address.sun_path) { raw -> Bool in
            guard bytes.count < raw.count else { return false }
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
            return true
        }
        return fits ? address : nil
    }

    private static func makeSocket() throws(SocketError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | socketFlags, 0)
        guard fd >= 0 else { throw SocketError("socket(AF_UNIX)", errno: errno) }
        return fd
    }

    private static func withAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T)
        throws(SocketError) -> T
    {
        guard var address = address(path) else {
            throw SocketError("\(path): longer than a Unix socket path may be")
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// Listens on `path`. A socket file left there by an earlier run is removed
    /// first; any other kind of file is an error (it is never deleted).
    static func listen(_ path: String, backlog: Int32 = 64) throws(SocketError) -> Int32 {
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw SocketError("\(path) exists and is not a socket; not replacing it")
            }
            guard unlink(path) == 0 else { throw SocketError("cannot remove the stale socket \(path)", errno: errno) }
        }
        let fd = try makeSocket()
        let bound = try withAddress(path) { bind(fd, $0, $1) }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw SocketError("cannot bind \(path)", errno: code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            unlink(path)
            throw SocketError("cannot listen on \(path)", errno: code)
        }
        return fd
    }

    /// Connects to the socket at `path` without blocking: a Unix socket either
    /// connects at once or fails (ENOENT, ECONNREFUSED, EAGAIN when its backlog is full).
    static func connect(_ path: String) throws(SocketError) -> Int32 {
        let fd = try makeSocket()
        let result = try withAddress(path) { Glibc.connect(fd, $0, $1) }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw SocketError("cannot connect to \(path)", errno: code)
        }
        return fd
    }

    /// One pending connection of `listener`, non-blocking and close-on-exec; nil
    /// when none is waiting (or accepting failed).
    static func accept(_ listener: Int32) -> Int32? {
        while true {
            let fd: Int32
            if let accept4 = accept4Function {
                fd = accept4(listener, nil, nil, socketFlags)
            } else {
                fd = Glibc.accept(listener, nil, nil)
                if fd >= 0 {
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                }
            }
            if fd >= 0 { return fd }
            if errno == EINTR || errno == ECONNABORTED { continue }
            return nil
        }
    }
}
