/// Errors of guest memory allocation and access. Each names the offending value.
public enum MemoryError: Error, Equatable, CustomStringConvertible {
    /// An access `[address, address + length)` that is not wholly inside one RAM region.
    case outOfBounds(address: GuestAddress, length: UInt64)
    /// Anonymous memory of this many bytes could not be mapped (errno from mmap).
    case mapFailed(size: UInt64, errno: Int32)
    /// A size that is zero, not page-aligned, or too large for this machine.
    case invalidSize(UInt64, reason: String)
    /// A memory size string that could not be parsed, with the reason.
    case invalidSizeString(String, reason: String)

    public var description: String {
        switch self {
        case .outOfBounds(let address, let length):
            return "guest memory access of \(length) bytes at \(address) is outside guest RAM"
        case .mapFailed(let size, let errno):
            return "could not map \(size) bytes of guest memory: errno \(errno)"
        case .invalidSize(let size, let reason):
            return "invalid guest memory size \(size): \(reason)"
        case .invalidSizeString(let text, let reason):
            return "invalid memory size '\(text)': \(reason)"
        }
    }
}
