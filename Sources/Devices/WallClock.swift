#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a real-time clock gets the time of day.
///
/// Passed in, so tests can set the time and a VM can run at a chosen date.
public protocol WallClock: Sendable {
    /// Whole seconds since 1970-01-01 00:00:00 UTC.
    func secondsSinceEpoch() -> Int64
}

/// The host's clock (`time(2)`).
public struct SystemWallClock: WallClock {
    public init() {}

    public func secondsSinceEpoch() -> Int64 {
        Int64(time(nil))
    }
}

/// A clock that always reads the same second.
public struct FixedWallClock: WallClock {
    public let seconds: Int64

    public init(secondsSinceEpoch seconds: Int64) {
        self.seconds = seconds
    }

    public func secondsSinceEpoch() -> Int64 { seconds }
}
