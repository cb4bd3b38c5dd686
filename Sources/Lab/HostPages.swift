#if canImport(Glibc)
import Glibc
#endif

/// What backs guest RAM on the host: transparent huge pages or 4 KiB pages, read
/// from /proc (this is what KVM can map with large EPT/NPT or shadow entries).
public enum HostPages {
    /// Bytes of transparent huge pages (smaps `AnonHugePages`) in the mappings of
    /// this process that overlap `[start, start + length)`; nil if smaps is unreadable.
    public static func transparentHugeBytes(start: UInt, length: UInt) -> UInt64? {
        guard let smaps = readTextFile("/proc/self/smaps") else { return nil }
        return transparentHugeBytes(smaps: smaps, start: start, length: length)
    }

    /// The same, from the text of an smaps file.
    public static func transparentHugeBytes(smaps: String, start: UInt, length: UInt) -> UInt64 {
        var total: UInt64 = 0
        var inside = false
        for line in smaps.split(separator: "\n") {
            if let range = mappingRange(line) {
                inside = range.lowerBound < start + length && start < range.upperBound
            } else if inside, line.hasPrefix("AnonHugePages:") {
                let number = line.dropFirst("AnonHugePages:".count).split(separator: " ").first
                total += (number.flatMap { UInt64($0) } ?? 0) * 1024
            }
        }
        return total
    }

    /// `start-end` of an smaps mapping header line (hex), or nil for other lines.
    static func mappingRange(_ line: Substring) -> Range<UInt>? {
        guard let first = line.split(separator: " ", maxSplits: 1).first else { return nil }
        let bounds = first.split(separator: "-")
        guard bounds.count == 2, let low = UInt(bounds[0], radix: 16), let high = UInt(bounds[1], radix: 16),
              low < high else { return nil }
        return low..<high
    }

    /// Whether the host page at `address` (in this process) is part of a transparent
    /// huge page: /proc/self/pagemap gives its frame, /proc/kpageflags its THP bit
    /// (both need root). Nil when not resident or not readable.
    public static func isTransparentHuge(hostAddress address: UInt) -> Bool? {
        let pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard pagemap >= 0 else { return nil }
        defer { close(pagemap) }
        var entry: UInt64 = 0
        guard pread(pagemap, &entry, 8, off_t(address / 4096 * 8)) == 8, entry & (1 << 63) != 0 else { return nil }
        let frame = entry & ((1 << 55) - 1)
        guard frame != 0 else { return nil }  // frames are hidden without CAP_SYS_ADMIN
        let flagsFile = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC)
        guard flagsFile >= 0 else { return nil }
        defer { close(flagsFile) }
        var flags: UInt64 = 0
        guard pread(flagsFile, &flags, 8, off_t(frame * 8)) == 8 else { return nil }
        return flags & (1 << 22) != 0  // KPF_THP
    }
}
