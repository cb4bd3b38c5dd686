import Glibc

/// The few libc calls Swift's Glibc module does not import (`getrandom`,
/// `fallocate`), looked up by name once, and EINTR-retrying helpers for
/// positioned I/O.
enum HostCalls {
    private typealias GetRandom = @convention(c) (UnsafeMutableRawPointer?, Int, UInt32) -> Int
    private typealias Fallocate = @convention(c) (Int32, Int32, Int64, Int64) -> Int32

    private static let getrandomFunction: GetRandom? = dlsym(nil, "getrandom").map {
        unsafeBitCast($0, to: GetRandom.self)
    }
    private static let fallocateFunction: Fallocate? = dlsym(nil, "fallocate64").map {
        unsafeBitCast($0, to: Fallocate.self)
    }

    /// FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE from <linux/falloc.h>.
    private static let punchHoleMode: Int32 = 0x01 | 0x02

    /// Fills `buffer` from getrandom(2); returns the bytes filled (all of them unless it fails).
    static func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let getrandom = getrandomFunction, let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let result = getrandom(base + done, buffer.count - done, 0)
            if result > 0 {
                done += result
            } else if result < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return done
    }

    /// Deallocates `[offset, offset + length)` of `fd`, keeping its size. False if
    /// the file system cannot (the caller then writes zeroes).
    static func punchHole(_ fd: Int32, offset: UInt64, length: UInt64) -> Bool {
        guard let fallocate = fallocateFunction else { return false }
        while true {
            if fallocate(fd, punchHoleMode, Int64(offset), Int64(length)) == 0 { return true }
            if errno != EINTR { return false }
        }
    }

    /// Reads exactly `buffer.count` bytes at `offset`; false on error or end of file.
    static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        var done = 0
        while done < buffer.count {
            let result = pread(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if result > 0 {
                done += result
            } else if result < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    /// Writes all of `buffer` at `offset`; false on error.
    static func writeFully(_ fd: Int32, from buffer: UnsafeRawBufferPointer, at offset: UInt64) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        var done = 0
        while done < buffer.count {
            let result = pwrite(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if result > 0 {
                done += result
            } else if result < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }
}
