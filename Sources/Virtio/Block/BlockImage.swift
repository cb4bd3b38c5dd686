import Glibc

/// A raw disk image: an open file descriptor and its size.
///
/// Opened with O_CLOEXEC and never created or truncated; read-only images are
/// opened O_RDONLY so that no code path can write them. Only a regular file or a
/// block device is taken (a directory, FIFO or character device is refused).
final class BlockImage: Sendable {
    let path: String
    let fd: Int32
    /// Size in bytes (a multiple of 512).
    let size: UInt64
    let readOnly: Bool

    init(path: String, readOnly: Bool) throws(VirtioError) {
        // O_NONBLOCK so that a FIFO cannot hang the caller before it is refused;
        // it is cleared again for the image's own I/O.
        let fd = open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .hostCallFailed("open", target: path, errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = errno
            close(fd)
            throw .hostCallFailed("fstat", target: path, errno: error)
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG || kind == S_IFBLK else {
            close(fd)
            throw .notADiskImage(path: path, kind: Self.describe(fileType: kind))
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            let error = errno
            close(fd)
            throw .hostCallFailed("fcntl", target: path, errno: error)
        }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else {
            let error = errno
            close(fd)
            throw .hostCallFailed("lseek", target: path, errno: error)
        }
        guard end % 512 == 0 else {
            close(fd)
            throw .imageSizeNotSectorMultiple(path: path, size: UInt64(end))
        }
        self.path = path
        self.fd = fd
        self.size = UInt64(end)
        self.readOnly = readOnly
    }

    deinit { close(fd) }

    /// A file type (`st_mode & S_IFMT`) in words, for errors.
    static func describe(fileType: mode_t) -> String {
        switch fileType {
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "a file of type 0o\(String(fileType, radix: 8))"
        }
    }

    /// Whether `[offset, offset + length)` lies inside the image.
    func contains(offset: UInt64, length: UInt64) -> Bool {
        offset <= size && length <= size - offset
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) -> Bool {
        HostCalls.readFully(fd, into: buffer, at: offset)
    }

    func write(from buffer: UnsafeRawBufferPointer, at offset: UInt64) -> Bool {
        guard !readOnly else { return false }
        return HostCalls.writeFully(fd, from: buffer, at: offset)
    }

    func flush() -> Bool {
        while fsync(fd) != 0 {
            if errno != EINTR { return false }
        }
        return true
    }

    /// Makes `[offset, offset + length)` read as zeroes: punches a hole, or
    /// writes zeroes where the file system cannot.
    func discard(offset: UInt64, length: UInt64) -> Bool {
        guard !readOnly else { return false }
        if HostCalls.punchHole(fd, offset: offset, length: length) { return true }
        let zeroes = [UInt8](repeating: 0, count: 64 * 1024)
        var done: UInt64 = 0
        while done < length {
            let count = Int(min(UInt64(zeroes.count), length - done))
            let ok = zeroes.withUnsafeBytes { HostCalls.writeFully(fd, from: UnsafeRawBufferPointer(rebasing: $0[0..<count]), at: offset + done) }
            guard ok else { return false }
            done += UInt64(count)
        }
        return true
    }
}
