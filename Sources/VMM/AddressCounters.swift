/// Counts by address in a fixed-size open-addressing table, so counting in the
/// exit loop never allocates. Addresses beyond the table's capacity are summed
/// in `overflow`.
public final class AddressCounters: @unchecked Sendable {
    public let capacity: Int
    private let keys: UnsafeMutablePointer<UInt64>  // address + 1; 0 = empty
    private let counts: UnsafeMutablePointer<UInt64>
    public private(set) var overflow: UInt64 = 0

    /// `capacity` is rounded up to a power of two.
    public init(capacity: Int) {
        var size = 16
        while size < capacity { size <<= 1 }
        self.capacity = size
        keys = .allocate(capacity: size)
        keys.initialize(repeating: 0, count: size)
        counts = .allocate(capacity: size)
        counts.initialize(repeating: 0, count: size)
    }

    deinit {
        keys.deallocate()
        counts.deallocate()
    }

    @inline(__always)
    public func increment(_ address: UInt64) {
        let key = address &+ 1
        let mask = capacity - 1
        var slot = Int(truncatingIfNeeded: (address &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        for _ in 0..<capacity {
            let existing = keys[slot]
            if existing == key {
                counts[slot] &+= 1
                return
            }
            if existing == 0 {
                keys[slot] = key
                counts[slot] = 1
                return
            }
            slot = (slot + 1) & mask
        }
        overflow &+= 1
    }

    /// All (address, count) pairs, highest count first.
    public func sorted() -> [(address: UInt64, count: UInt64)] {
        var result: [(address: UInt64, count: UInt64)] = []
        for i in 0..<capacity where keys[i] != 0 {
            result.append((keys[i] &- 1, counts[i]))
        }
        return result.sorted { $0.count != $1.count ? $0.count > $1.count : $0.address < $1.address }
    }
}
