import Synchronization

/// Requests and failures of one route.
public struct EndpointCounters: Equatable, Sendable {
    public var count: UInt64 = 0
    public var fails: UInt64 = 0

    public init(count: UInt64 = 0, fails: UInt64 = 0) {
        self.count = count
        self.fails = fails
    }
}

/// Per-route request counters, read by a metrics writer (like Firecracker's
/// `get_api_requests`/`put_api_requests`/`patch_api_requests` groups).
public final class APIRequestMetrics: Sendable {
    /// The key for requests that matched no route.
    public static let invalidRequests = "invalid_requests"

    private let counters = Mutex<[String: EndpointCounters]>([:])

    public init() {}

    /// Counts one request to `key` (a `Route.metricName` or `invalidRequests`).
    public func record(_ key: String, failed: Bool) {
        counters.withLock { counters in
            counters[key, default: EndpointCounters()].count += 1
            if failed { counters[key, default: EndpointCounters()].fails += 1 }
        }
    }

    /// The counters of `route`.
    public func counters(for route: Route) -> EndpointCounters {
        counters.withLock { $0[route.metricName] ?? EndpointCounters() }
    }

    /// Every counter so far, keyed by metric name (e.g. `put_drives`).
    public func snapshot() -> [String: EndpointCounters] {
        counters.withLock { $0 }
    }
}
