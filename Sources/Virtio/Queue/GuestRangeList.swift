import Memory

/// Gather and scatter over the buffers of a descriptor chain, treated as one
/// run of bytes in chain order.
extension Array where Element == GuestRange {
    /// The buffers covering bytes `[offset, offset + length)` of the run
    /// (clipped to the run's end).
    public func slice(from offset: UInt64, length: UInt64) -> [GuestRange] {
        var result: [GuestRange] = []
        var skip = offset
        var wanted = length
        for range in self where wanted > 0 {
            if skip >= range.size {
                skip -= range.size
                continue
            }
            let take = Swift.min(range.size - skip, wanted)
            result.append(GuestRange(start: GuestAddress(range.start.rawValue + skip), size: take))
            wanted -= take
            skip = 0
        }
        return result
    }

    /// Calls `body` with each buffer piece covering bytes `[offset, offset + length)`
    /// of the run (clipped to the run's end), in order, without building an array;
    /// stops at the first piece for which `body` returns false. Returns whether every
    /// piece was accepted.
    @discardableResult
    public func forEachPiece(from offset: UInt64, length: UInt64, _ body: (GuestRange) -> Bool) -> Bool {
        var skip = offset
        var wanted = length
        for range in self where wanted > 0 {
            if skip >= range.size {
                skip -= range.size
                continue
            }
            let take = Swift.min(range.size - skip, wanted)
            guard body(GuestRange(start: GuestAddress(range.start.rawValue + skip), size: take)) else { return false }
            wanted -= take
            skip = 0
        }
        return true
    }

    /// Copies up to `limit` bytes of the run out of guest memory.
    public func gather(from memory: GuestMemory, limit: Int) throws(VirtioError) -> [UInt8] {
        var bytes: [UInt8] = []
        for range in self where bytes.count < limit {
            let count = Swift.min(UInt64(limit - bytes.count), range.size)
            do {
                bytes += try memory.read(at: range.start, count: Int(count))
            } catch {
                throw .memory(error)
            }
        }
        return bytes
    }

    /// Copies `bytes` into the run, as far as it reaches; returns the count copied.
    @discardableResult
    public func scatter(_ bytes: ArraySlice<UInt8>, into memory: GuestMemory) throws(VirtioError) -> Int {
        var rest = bytes
        for range in self where !rest.isEmpty {
            let count = Swift.min(UInt64(rest.count), range.size)
            let chunk = rest.prefix(Int(count))
            do {
                try memory.write([UInt8](chunk), at: range.start)
            } catch {
                throw .memory(error)
            }
            rest = rest.dropFirst(chunk.count)
        }
        return bytes.count - rest.count
    }
}

extension Array where Element == GuestRange {
    /// The bytes all the ranges hold together.
    public var totalSize: UInt64 { reduce(0) { $0 + $1.size } }
}
