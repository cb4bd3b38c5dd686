import Memory
import Snapshot

#if canImport(Glibc)
import Glibc
#endif

/// The memory file of a snapshot: guest RAM, the regions concatenated in
/// guest-physical order (so its size is the RAM size). A full snapshot writes
/// every page that is not all zero (zero pages are holes); a diff writes only the
/// pages dirtied since the last snapshot, zero or not, into a sparse file of the
/// same size, whose holes mean "as in the base". `rebase`
/// turns base + diff into a full file, as Firecracker's rebase-snap does.
public enum MemorySnapshot {
    static let pageSize = Int(DirtyPageBitmap.pageSize)

    /// Writes all of `memory` to `path` (created or truncated), as a sparse file:
    /// pages that are all zero stay holes (they read as zero, and `load` skips
    /// them), as QEMU's migration skips zero pages. A guest that touched little of
    /// its RAM makes a small, fast snapshot. Returns the pages written.
    @discardableResult
    static func writeFull(_ memory: GuestMemory, to path: String) throws(SnapshotError) -> Int {
        try writePages(of: memory, to: path) { host, _ in !isZero(host) }
    }

    /// Whether the page at `page` holds only zero bytes (read 8 bytes at a time).
    static func isZero(_ page: UnsafeMutableRawPointer) -> Bool {
        let words = UnsafeRawPointer(page).assumingMemoryBound(to: UInt64.self)
        var any: UInt64 = 0
        for index in 0..<(pageSize / 8) { any |= words[index] }
        return any == 0
    }

    /// Writes the pages set in `dirty` (one bit per page of the memory file) to a
    /// sparse file at `path` of `memory.size` bytes, zero or not; returns how many pages.
    @discardableResult
    static func writeDiff(_ memory: GuestMemory, dirty: [UInt64], to path: String) throws(SnapshotError) -> Int {
        try writePages(of: memory, to: path) { _, filePage in isSet(dirty, filePage) }
    }

    /// Writes the pages of `memory` that `include` (given the page's host address
    /// and its page number in the file) selects into a sparse file at `path` of
    /// `memory.size` bytes, each run of selected pages with one write; the rest
    /// are holes. Synced before it returns; returns the pages written.
    private static func writePages(
        of memory: GuestMemory, to path: String,
        where include: (_ host: UnsafeMutableRawPointer, _ filePage: Int) -> Bool
    ) throws(SnapshotError) -> Int {
        let file = try SnapshotFile(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try file.truncate(to: memory.size)
        var written = 0
        for (region, offset) in zip(memory.regions, memory.fileOffsets) {
            let firstPage = Int(offset) / pageSize
            let pages = Int(region.range.size) / pageSize
            var page = 0
            while page < pages {
                guard include(region.host + page * pageSize, firstPage + page) else { page += 1; continue }
                var end = page + 1
                while end < pages && include(region.host + end * pageSize, firstPage + end) { end += 1 }
                try file.write(UnsafeRawBufferPointer(start: region.host + page * pageSize,
                                                      count: (end - page) * pageSize),
                               at: offset + UInt64(page * pageSize))
                written += end - page
                page = end
            }
        }
        try file.sync()
        return written
    }

    /// Fills `memory` (freshly allocated, all zero) from the file at `path`, which
    /// must be exactly `memory.size` bytes. Only the file's data extents are read
    /// (SEEK_DATA/seekHole): holes are zero already.
    static func load(_ memory: GuestMemory, from path: String) throws(SnapshotError) {
        let file = try SnapshotFile(path: path, flags: O_RDONLY)
        let size = try file.size()
        guard size == memory.size else {
            throw .mismatch(what: "the memory file size (\(path))", snapshot: "\(size) bytes",
                            machine: "\(memory.size) bytes of RAM")
        }
        for (region, offset) in zip(memory.regions, memory.fileOffsets) {
            let end = offset + region.range.size
            for extent in try file.dataExtents(from: offset, to: end) {
                try file.read(into: UnsafeMutableRawBufferPointer(start: region.host + Int(extent.lowerBound - offset),
                                                                  count: Int(extent.count)),
                              at: extent.lowerBound)
            }
        }
    }

    /// Copies the data of the diff file at `diffPath` onto the full memory file at
    /// `basePath` (same size), so that the base becomes the diff's snapshot.
    public static func rebase(diff diffPath: String, onto basePath: String) throws(SnapshotError) {
        let diff = try SnapshotFile(path: diffPath, flags: O_RDONLY)
        let base = try SnapshotFile(path: basePath, flags: O_WRONLY)
        let size = try diff.size()
        let baseSize = try base.size()
        guard size == baseSize else {
            throw .mismatch(what: "the memory file size", snapshot: "\(size) bytes in the diff \(diffPath)",
                            machine: "\(baseSize) bytes in the base \(basePath)")
        }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        for extent in try diff.dataExtents(from: 0, to: size) {
            var position = extent.lowerBound
            while position < extent.upperBound {
                let count = Int(min(UInt64(chunk), extent.upperBound - position))
                let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
                try diff.read(into: piece, at: position)
                try base.write(UnsafeRawBufferPointer(piece), at: position)
                position += UInt64(count)
            }
        }
        try base.sync()
    }

    /// The pages set in either bitmap, as one bitmap.
    static func union(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        (0..<max(a.count, b.count)).map { (($0 < a.count) ? a[$0] : 0) | (($0 < b.count) ? b[$0] : 0) }
    }

    static func isSet(_ bitmap: [UInt64], _ page: Int) -> Bool {
        let word = page >> 6
        return word < bitmap.count && bitmap[word] & (1 << UInt64(page & 63)) != 0
    }
}

/// lseek(2) whences Glibc's Swift module does not export (Linux values).
private let seekData: Int32 = 3
private let seekHole: Int32 = 4

/// An open file of a snapshot; every failure names the path and the errno.
final class SnapshotFile {
    let path: String
    private let fd: Int32

    init(path: String, flags: Int32) throws(SnapshotError) {
        self.path = path
        fd = open(path, flags | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    private func failure(_ operation: String) -> SnapshotError {
        .io(path: path, reason: "\(operation) failed: \(String(cString: strerror(errno)))")
    }

    func size() throws(SnapshotError) -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("fstat") }
        return UInt64(info.st_size)
    }

    func truncate(to size: UInt64) throws(SnapshotError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw failure("ftruncate") }
    }

    func sync() throws(SnapshotError) {
        guard fsync(fd) == 0 else { throw failure("fsync") }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(SnapshotError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let count = min(bytes.count - done, 1 << 30)
            let result = pwrite(fd, base + done, count, off_t(offset) + off_t(done))
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw failure("write") }
            done += result
        }
    }

    func read(into bytes: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(SnapshotError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let count = min(bytes.count - done, 1 << 30)
            let result = pread(fd, base + done, count, off_t(offset) + off_t(done))
            if result < 0 && errno == EINTR { continue }
            if result == 0 {
                throw .truncated(what: "memory file \(path)", needed: bytes.count - done, left: 0)
            }
            guard result > 0 else { throw failure("read") }
            done += result
        }
    }

    /// The ranges holding data in `[start, end)`, found with SEEK_DATA/SEEK_HOLE
    /// (a file system without holes reports one extent).
    func dataExtents(from start: UInt64, to end: UInt64) throws(SnapshotError) -> [Range<UInt64>] {
        var extents: [Range<UInt64>] = []
        var position = start
        while position < end {
            let data = lseek(fd, off_t(position), seekData)
            if data < 0 {
                if errno == ENXIO { break }  // no data after position
                throw failure("lseek(seekData)")
            }
            guard UInt64(data) < end else { break }
            let hole = lseek(fd, data, seekHole)
            guard hole >= 0 else { throw failure("lseek(seekHole)") }
            extents.append(UInt64(data)..<min(UInt64(hole), end))
            position = UInt64(hole)
        }
        return extents
    }
}
