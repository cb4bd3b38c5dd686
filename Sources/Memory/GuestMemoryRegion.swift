#if canImport(Glibc)
import Glibc
#endif

/// One contiguous range of guest RAM backed by an anonymous host mapping.
///
/// The mapping is 2 MiB-aligned so that transparent huge pages can back it, and is
/// released when the region is deallocated.
public final class GuestMemoryRegion: @unchecked Sendable {
    public static let hugePageSize: UInt64 = 2 << 20

    /// The guest physical range this region covers.
    public let range: GuestRange
    /// Host address of the region's first byte.
    public let host: UnsafeMutableRawPointer
    /// Whether `madvise(MADV_HUGEPAGE)` was requested and accepted for this region.
    public let hugePagesAdvised: Bool

    private let mapping: UnsafeMutableRawPointer
    private let mappingSize: Int

    /// Maps `range.size` bytes of zeroed anonymous memory, aligned to 2 MiB.
    /// With `hugePages`, asks the kernel for transparent huge pages on the
    /// 2 MiB-aligned part of the region.
    public init(range: GuestRange, hugePages: Bool) throws(MemoryError) {
        guard range.size > 0, range.size % 4096 == 0 else {
            throw .invalidSize(range.size, reason: "must be a non-zero multiple of 4 KiB")
        }
        guard range.size <= UInt64(Int.max) - Self.hugePageSize else {
            throw .invalidSize(range.size, reason: "too large for this host")
        }
        let align = Int(Self.hugePageSize)
        let size = Int(range.size)
        // Over-allocate by one huge page and trim, so the region starts 2 MiB-aligned.
        let total = size + align
        let raw = mmap(nil, total, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let raw, raw != MAP_FAILED else {
            throw .mapFailed(size: range.size, errno: errno)
        }
        let rawAddress = UInt(bitPattern: raw)
        let aligned = (rawAddress + UInt(align) - 1) & ~(UInt(align) - 1)
        let head = Int(aligned - rawAddress)
        if head > 0 { munmap(raw, head) }
        let tail = total - head - size
        if tail > 0 { munmap(raw + head + size, tail) }
        let start = raw + head

        var advised = false
        if hugePages && range.size >= Self.hugePageSize {
            // Only the whole 2 MiB pages inside the region can be huge.
            let hugeLength = size & ~(align - 1)
            advised = madvise(start, hugeLength, MADV_HUGEPAGE) == 0
        }
        self.range = range
        self.host = start
        self.mapping = start
        self.mappingSize = size
        self.hugePagesAdvised = advised
    }

    deinit {
        munmap(mapping, mappingSize)
    }
}
