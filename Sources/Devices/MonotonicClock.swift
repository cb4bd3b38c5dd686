#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Where a timer device gets elapsed time: nanoseconds from an arbitrary origin,
/// never going back. Passed in, so tests can step time by hand.
public protocol MonotonicClock: Sendable {
    func nanoseconds() -> UInt64
}

/// The host's CLOCK_MONOTONIC (a vDSO call: no system call, no allocation).
public struct SystemMonotonicClock: MonotonicClock {
    public init() {}

    public func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}

/// A clock that moves only when told to.
public final class ManualMonotonicClock: MonotonicClock {
    private let now: Atomic<UInt64>

    public init(nanoseconds: UInt64 = 0) {
        now = Atomic(nanoseconds)
    }

    public func nanoseconds() -> UInt64 { now.load(ordering: .relaxed) }

    public func advance(by nanoseconds: UInt64) {
        now.wrappingAdd(nanoseconds, ordering: .relaxed)
    }
}
