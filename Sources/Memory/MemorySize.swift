/// Parses human memory sizes such as `64M`, `1G`, `512MiB`, `4096K` or a plain byte count.
public enum MemorySize {
    /// The largest guest RAM we accept: 1 TiB.
    public static let maximum: UInt64 = 1 << 40

    /// Parses `text` into a byte count. Suffixes K, M, G, T (optionally followed by
    /// `iB` or `B`) are powers of 1024; a bare number is bytes. The result must be a
    /// whole number of 4 KiB pages, at least 1 MiB and at most 1 TiB.
    public static func parse(_ text: String) throws(MemoryError) -> UInt64 {
        let bytes = try parseBytes(text)
        guard bytes >= 1 << 20 else {
            throw .invalidSizeString(text, reason: "at least 1M of guest memory is needed")
        }
        guard bytes <= maximum else {
            throw .invalidSizeString(text, reason: "more than the 1T maximum")
        }
        guard bytes % 4096 == 0 else {
            throw .invalidSizeString(text, reason: "not a whole number of 4 KiB pages")
        }
        return bytes
    }
}

extension MemorySize {
    /// Parses `text` into a byte count with the units of `parse(_:)` and none of its
    /// guest-memory bounds (any size that fits in 64 bits): for other byte limits.
    public static func parseBytes(_ text: String) throws(MemoryError) -> UInt64 {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else {
            throw .invalidSizeString(text, reason: "empty")
        }
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else {
            throw .invalidSizeString(text, reason: "must start with a number, e.g. 64M or 1G")
        }
        guard let number = UInt64(digits) else {
            throw .invalidSizeString(text, reason: "number too large")
        }
        let unit = trimmed.dropFirst(digits.count).uppercased()
        let shift: UInt64
        switch unit {
        case "", "B": shift = 0
        case "K", "KB", "KIB": shift = 10
        case "M", "MB", "MIB": shift = 20
        case "G", "GB", "GIB": shift = 30
        case "T", "TB", "TIB": shift = 40
        default:
            throw .invalidSizeString(text, reason: "unknown unit '\(unit)' (use K, M, G or T)")
        }
        guard number <= (UInt64.max >> shift) else {
            throw .invalidSizeString(text, reason: "too large")
        }
        return number << shift
    }
}

extension String {
    fileprivate func trimmingSpaces() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return slice
    }
}
