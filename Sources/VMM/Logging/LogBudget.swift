import Synchronization

/// The bytes of log lines a run may still write (`--limit log-bytes`), shared by
/// every logger. A guest that makes the VMM log (a driver's protocol errors, each
/// device's own rate limit aside) can then fill neither a disk nor a terminal.
///
/// The first line refused is replaced by one notice naming the limit, so the
/// budget can be passed by that one line; every later line is dropped and counted.
public final class LogBudget: Sendable {
    /// What to do with one line.
    public enum Decision: Equatable, Sendable {
        case write
        /// The budget has just run out: write `notice` instead of the line.
        case writeNotice
        case drop
    }

    /// Bytes allowed in all.
    public let limit: UInt64
    private let used = Atomic<UInt64>(0)
    private let dropped = Atomic<UInt64>(0)

    public init(limit: UInt64) {
        self.limit = limit
    }

    /// Charges a line of `count` bytes.
    public func take(_ count: Int) -> Decision {
        let total = used.add(UInt64(max(count, 0)), ordering: .relaxed).newValue
        if total <= limit { return .write }
        return dropped.add(1, ordering: .relaxed).oldValue == 0 ? .writeNotice : .drop
    }

    /// Lines refused so far (the one replaced by the notice included).
    public var droppedLines: UInt64 { dropped.load(ordering: .relaxed) }

    /// The line written once, when the budget runs out.
    public var notice: String {
        "log limit of \(ResourceLimits.describe(bytes: limit)) reached (--limit log-bytes=SIZE); "
            + "further log lines are dropped"
    }
}
