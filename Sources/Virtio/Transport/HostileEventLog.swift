/// Logs what a misbehaving driver did, one line per event, up to a limit, so a
/// guest that repeats a bad access in a loop cannot flood the host's log.
struct HostileEventLog: Sendable {
    /// Lines logged before the log goes quiet.
    static let limit = 32

    private let sink: @Sendable (String) -> Void
    private let prefix: String
    /// Events reported so far, including those not logged.
    private(set) var count = 0

    init(prefix: String, sink: @escaping @Sendable (String) -> Void) {
        self.prefix = prefix
        self.sink = sink
    }

    mutating func report(_ message: String) {
        count += 1
        if count <= Self.limit {
            sink("\(prefix): \(message)")
        } else if count == Self.limit + 1 {
            sink("\(prefix): more guest driver errors; no longer logging them")
        }
    }
}
