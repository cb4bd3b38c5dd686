import Glibc

/// A raw disk image: an open file descriptor and its size.
///
/// Opened with O_CLOEXEC and never created or truncated; read-only images are
/// opened O_RDONLY so that no code path can write them.
final class BlockImage: Sendable {
    let path: String
    let fd: Int32
    /// Size in bytes (a multiple of 512).
    let size: UInt64
    let readOnly: Bool

    init(path: String, readOnly: Bool) throws(VirtioError) {
        let fd = open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC)
        guard fd >= 0 else { throw .hostCallFailed("open", target: path, errno: errno) }
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
