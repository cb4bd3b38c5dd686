/// Guest physical memory: a set of RAM regions and bounds-checked access to them.
///
/// Every access names a guest physical address and a length; an access that is
/// not wholly inside one region throws `MemoryError.outOfBounds` instead of
/// touching host memory.
public final class GuestMemory: @unchecked Sendable {
    public let regions: [GuestMemoryRegion]
    /// The regions' bounds and host addresses as plain values: the lookup behind
    /// every access walks these without reference counting the region objects.
    private let spans: [Span]
    /// The pages the VMM wrote through this object since the last `take`, when
    /// dirty tracking is on (nil: off, and each write pays one nil test).
    public let dirtyPages: DirtyPageBitmap?

    private struct Span {
        let start: UInt64
        let size: UInt64
        let host: UnsafeMutableRawPointer
        /// Where the region starts in the memory file (the regions concatenated).
        let fileOffset: UInt64
    }

    /// Allocates anonymous memory for each range. The ranges must not overlap.
    /// With `trackDirtyPages`, every write path (`buffer`, `write`, `store`,
    /// `zero`) marks the pages it touches in `dirtyPages`.
    public init(ranges: [GuestRange], hugePages: Bool = true, trackDirtyPages: Bool = false) throws(MemoryError) {
        let sorted = ranges.sorted { $0.start < $1.start }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.overlaps(b) {
            throw .invalidSize(b.size, reason: "range \(b) overlaps \(a)")
        }
        var regions: [GuestMemoryRegion] = []
        for range in sorted {
            regions.append(try GuestMemoryRegion(range: range, hugePages: hugePages))
        }
        self.regions = regions
        var spans: [Span] = []
        var fileOffset: UInt64 = 0
        for region in regions {
            spans.append(Span(start: region.range.start.rawValue, size: region.range.size, host: region.host,
                              fileOffset: fileOffset))
            fileOffset += region.range.size
        }
        self.spans = spans
        dirtyPages = trackDirtyPages ? DirtyPageBitmap(pageCount: Int(fileOffset / DirtyPageBitmap.pageSize)) : nil
    }

    /// Allocates `ramSize` bytes laid out as on a PC (see `PCMemoryLayout`).
    public convenience init(pcRAMSize ramSize: UInt64, hugePages: Bool = true, trackDirtyPages: Bool = false)
        throws(MemoryError)
    {
        try self.init(ranges: PCMemoryLayout.ramRanges(ramSize: ramSize), hugePages: hugePages,
                      trackDirtyPages: trackDirtyPages)
    }

    /// Where each region starts in the memory file (the regions concatenated in
    /// guest-physical order), parallel to `regions`.
    public var fileOffsets: [UInt64] { spans.map(\.fileOffset) }

    /// Total bytes of RAM.
    public var size: UInt64 { regions.reduce(0) { $0 + $1.range.size } }

    /// Whether `[address, address + length)` lies wholly inside one RAM region.
    public func contains(_ address: GuestAddress, length: UInt64) -> Bool {
        span(for: address, length: length) != nil
    }

    /// Whether `range` lies wholly inside one RAM region.
    public func contains(_ range: GuestRange) -> Bool {
        contains(range.start, length: range.size)
    }

    /// Host memory for `[address, address + length)`, or an out-of-bounds error.
    /// The caller may write it, so with dirty tracking on its pages are marked.
    public func buffer(at address: GuestAddress, length: UInt64) throws(MemoryError)
        -> UnsafeMutableRawBufferPointer
    {
        guard let span = span(for: address, length: length) else {
            throw .outOfBounds(address: address, length: length)
        }
        let offset = address.rawValue - span.start
        if let dirtyPages { dirtyPages.mark(offset: span.fileOffset + offset, length: length) }
        return UnsafeMutableRawBufferPointer(start: span.host + Int(offset), count: Int(length))
    }

    /// Like `buffer`, for reading only: marks nothing.
    @usableFromInline
    func readableBuffer(at address: GuestAddress, length: UInt64) throws(MemoryError) -> UnsafeRawBufferPointer {
        guard let span = span(for: address, length: length) else {
            throw .outOfBounds(address: address, length: length)
        }
        return UnsafeRawBufferPointer(start: span.host + Int(address.rawValue - span.start), count: Int(length))
    }

    /// Copies `bytes` into guest memory at `address`.
    public func write(_ bytes: UnsafeRawBufferPointer, at address: GuestAddress) throws(MemoryError) {
        let target = try buffer(at: address, length: UInt64(bytes.count))
        if bytes.count > 0, let base = bytes.baseAddress, let dst = target.baseAddress {
            dst.copyMemory(from: base, byteCount: bytes.count)
        }
    }

    /// Copies `bytes` into guest memory at `address`.
    public func write(_ bytes: [UInt8], at address: GuestAddress) throws(MemoryError) {
        // Array.withUnsafeBytes only rethrows untyped errors, so get the target first.
        let target = try buffer(at: address, length: UInt64(bytes.count))
        bytes.withUnsafeBytes { target.copyMemory(from: $0) }
    }

    /// Fills `[address, address + length)` with zeroes.
    public func zero(at address: GuestAddress, length: UInt64) throws(MemoryError) {
        let target = try buffer(at: address, length: length)
        if let base = target.baseAddress { base.initializeMemory(as: UInt8.self, repeating: 0, count: target.count) }
    }

    /// Reads `count` bytes at `address`.
    public func read(at address: GuestAddress, count: Int) throws(MemoryError) -> [UInt8] {
        Array(try readableBuffer(at: address, length: UInt64(max(count, 0))))
    }

    /// Stores a little-endian integer at `address`.
    ///
    /// Inlinable so that callers in other modules (the virtqueues) get it specialized
    /// for their integer type: unspecialized, every call paid ~700 instructions of
    /// generic metadata work (counted with callgrind in the virtio-blk benchmark).
    @inlinable
    public func store<T: FixedWidthInteger>(_ value: T, at address: GuestAddress) throws(MemoryError) {
        let target = try buffer(at: address, length: UInt64(MemoryLayout<T>.size))
        target.storeBytes(of: value.littleEndian, as: T.self)
    }

    /// Loads a little-endian integer from `address` (inlinable, see `store`).
    @inlinable
    public func load<T: FixedWidthInteger>(_ type: T.Type, at address: GuestAddress) throws(MemoryError) -> T {
        let source = try readableBuffer(at: address, length: UInt64(MemoryLayout<T>.size))
        return T(littleEndian: source.loadUnaligned(as: T.self))
    }

    private func span(for address: GuestAddress, length: UInt64) -> Span? {
        for span in spans where address.rawValue >= span.start {
            let offset = address.rawValue - span.start
            if offset <= span.size && length <= span.size - offset {
                return span
            }
        }
        return nil
    }
}
