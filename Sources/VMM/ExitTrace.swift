/// The latest exits of one vCPU, one record each (`--trace`): a preallocated ring
/// that keeps the newest `capacity` records, so recording allocates nothing and
/// takes no lock. Written by the vCPU's thread only, read once it has stopped.
public final class ExitTrace: @unchecked Sendable {
    /// One exit: when KVM_RUN returned, how long user space took before entering
    /// the guest again, why, and the port or MMIO address (0 for other reasons).
    public struct Event: Sendable, Equatable {
        public var returnedAt: UInt64
        public var handlingNanoseconds: UInt64
        public var detail: UInt64
        public var reason: ExitReason
    }

    public let capacity: Int
    private let ring: UnsafeMutablePointer<Event>
    /// Exits recorded so far, including those the ring no longer holds.
    public private(set) var recorded: UInt64 = 0

    /// `capacity` records (at least 1).
    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        ring = .allocate(capacity: self.capacity)
        ring.initialize(repeating: Event(returnedAt: 0, handlingNanoseconds: 0, detail: 0, reason: .other),
                        count: self.capacity)
    }

    deinit {
        ring.deallocate()
    }

    @inline(__always)
    func record(_ reason: ExitReason, returnedAt: UInt64, enteredAt: UInt64, detail: UInt64) {
        ring[Int(recorded % UInt64(capacity))] = Event(
            returnedAt: returnedAt, handlingNanoseconds: enteredAt &- returnedAt, detail: detail, reason: reason)
        recorded &+= 1
    }

    /// Records overwritten because the ring was full.
    public var dropped: UInt64 { recorded > UInt64(capacity) ? recorded - UInt64(capacity) : 0 }

    /// The records the ring holds, oldest first.
    public var events: [Event] {
        let count = Int(min(recorded, UInt64(capacity)))
        let first = Int((recorded - UInt64(count)) % UInt64(capacity))
        return (0..<count).map { ring[(first + $0) % capacity] }
    }
}
