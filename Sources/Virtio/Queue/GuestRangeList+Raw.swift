import Memory

/// Copies between the buffers of a descriptor chain and host memory the caller
/// owns, without allocating (the array-based `gather`/`scatter` allocate).
extension Array where Element == GuestRange {
    /// Copies the first bytes of the run into `buffer`, as many as both hold;
    /// returns the count copied.
    public func copy(into buffer: UnsafeMutableRawBufferPointer, from memory: GuestMemory) throws(VirtioError)
        -> Int
    {
        var done = 0
        for range in self where done < buffer.count {
            let count = Swift.min(UInt64(buffer.count - done), range.size)
            do {
                let source = try memory.buffer(at: range.start, length: count)
                UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + Int(count))])
                    .copyMemory(from: UnsafeRawBufferPointer(source))
            } catch {
                throw .memory(error)
            }
            done += Int(count)
        }
        return done
    }

    /// Copies `bytes` into the run, in order, as far as it reaches; returns the
    /// count copied.
    @discardableResult
    public func copy(from bytes: UnsafeRawBufferPointer, into memory: GuestMemory) throws(VirtioError) -> Int {
        var done = 0
        for range in self where done < bytes.count {
            let count = Swift.min(UInt64(bytes.count - done), range.size)
            do {
                let target = try memory.buffer(at: range.start, length: count)
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[done..<(done + Int(count))]))
            } catch {
                throw .memory(error)
            }
            done += Int(count)
        }
        return done
    }
}
