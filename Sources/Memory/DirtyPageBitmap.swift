import Synchronization

/// One bit per 4 KiB page of guest RAM, set when the VMM itself writes the page
/// (virtqueue used rings, DMA into guest buffers, loaders): KVM's dirty log sees
/// only the guest's own writes. Pages are numbered in the order of the memory
/// file, the RAM regions concatenated in guest-physical order.
///
/// Any thread may mark pages (an atomic OR per word); `take` reads and clears.
public final class DirtyPageBitmap: @unchecked Sendable {
    public static let pageSize: UInt64 = 4096
    public let pageCount: Int
    public let wordCount: Int
    private let words: UnsafeMutablePointer<Atomic<UInt64>>

    public init(pageCount: Int) {
        self.pageCount = pageCount
        wordCount = (pageCount + 63) / 64
        words = .allocate(capacity: max(wordCount, 1))
        for index in 0..<max(wordCount, 1) { (words + index).initialize(to: Atomic<UInt64>(0)) }
    }

    deinit {
        words.deinitialize(count: max(wordCount, 1))
        words.deallocate()
    }

    /// Marks the pages `[offset, offset + length)` cover (offsets in the memory file).
    @inlinable
    public func mark(offset: UInt64, length: UInt64) {
        guard length > 0 else { return }
        let first = offset / Self.pageSize
        let last = (offset + length - 1) / Self.pageSize
        var page = first
        while page <= last {
            markPage(Int(page))
            page += 1
        }
    }

    @usableFromInline
    func markPage(_ page: Int) {
        guard page < pageCount else { return }
        words[page >> 6].bitwiseOr(UInt64(1) << UInt64(page & 63), ordering: .relaxed)
    }

    /// The marked pages as 64-bit words (bit i of word w: page 64w + i), cleared.
    public func take() -> [UInt64] {
        (0..<wordCount).map { words[$0].exchange(0, ordering: .relaxed) }
    }
}
