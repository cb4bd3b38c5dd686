import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Firecracker's metrics file (`PUT /metrics {"metrics_path": ...}`): one JSON
/// object per line, appended to a file or FIFO on every `flush` (the API's
/// `FlushMetrics` action) and, once `startPeriodicFlush` is called, every
/// `interval` seconds (Firecracker: 60) and once more when it is stopped.
///
/// A line (keys sorted, one line, shown wrapped):
///
///     {"api_server":{"put_count":2},
///      "exits":{"debug":0,"fail-entry":0,"hlt":0,"io-in":25,"io-out":26,...},
///      "utc_timestamp_ms":1700000000123,
///      "vcpu":{"exit_io_in":25,"exit_io_out":26,"exit_mmio_read":0,"exit_mmio_write":0,"failures":0},
///      "vmm":{"exits":51,"kernel_exits":80}}
///
/// Counters are **per-flush deltas** by default, as Firecracker's are: each line
/// holds what happened since the previous line (the first line: since the VM
/// started), so summing the lines gives the totals. `Reporting.totals` writes the
/// running totals instead. If a counter goes backwards (a new VM after a reset
/// restart) its delta is its new value. `utc_timestamp_ms` is the wall clock.
///
/// - `vcpu`: exits to user space summed over vCPUs; `failures` counts the exits
///   that end a vCPU on an error (internal error, failed entry, unknown).
/// - `vmm`: `exits` (all exits to user space), `kernel_exits` (KVM's own count,
///   including exits it handled; absent where KVM has no statistics), and any
///   counters the caller adds.
/// - `exits`: every `ExitReason` by its `name`.
/// - `api_server`: the caller's counters (e.g. requests by kind), as given.
///
/// Writes never block: the file is opened `O_APPEND | O_NONBLOCK` (see
/// `AppendOnlyFile`), and a line that does not fit in a FIFO is dropped and
/// counted in `missedLineCount` (the previous totals still advance, so the next
/// line does not repeat the missed deltas).
public final class MetricsWriter: Sendable {
    /// What the counters in each line mean.
    public enum Reporting: Sendable {
        /// Since the previous line (Firecracker's behaviour).
        case deltas
        /// Since the VM started.
        case totals
    }

    /// Counters owned by the caller, by name.
    public typealias Counters = [String: UInt64]

    private struct Totals {
        var exits = [UInt64](repeating: 0, count: ExitReason.count)
        var kernelExits: UInt64 = 0
        var apiServer: Counters = [:]
        var vmm: Counters = [:]
    }

    public let path: String
    public let reporting: Reporting
    private let file: AppendOnlyFile
    private let previous = Mutex(Totals())
    private let missed = Atomic<UInt64>(0)
    private let sampler = Mutex<ExitSampler?>(nil)

    /// Opens `path` (a file, created if missing, or a FIFO).
    public init(path: String, reporting: Reporting = .deltas) throws(FileDestinationError) {
        self.file = try AppendOnlyFile(path: path, what: "metrics file")
        self.path = path
        self.reporting = reporting
    }

    deinit {
        sampler.withLock { $0?.stop() }
    }

    /// Lines dropped because the destination would have blocked.
    public var missedLineCount: UInt64 { missed.load(ordering: .relaxed) }

    /// Writes one line for `snapshot`. Returns the line, or nil if it was dropped.
    @discardableResult
    public func flush(_ snapshot: ExitSnapshot, apiServer: Counters = [:], vmm: Counters = [:]) -> String? {
        let line = previous.withLock { previous in
            makeLine(snapshot, apiServer: apiServer, vmm: vmm, previous: &previous)
        }
        guard file.write(Array(line.utf8)) else {
            missed.add(1, ordering: .relaxed)
            return nil
        }
        return line
    }

    /// Flushes every `interval` seconds (at least 0.01) on a helper thread, taking
    /// the counts from `take` and `apiServer`, until `stopPeriodicFlush` (which
    /// writes a last line). Call it once; a second call is an `invalidState` error.
    ///
    /// With a `VirtualMachine`: `writer.startPeriodicFlush(take: vm.exitCounts)` (the
    /// method may be named `exitCounts` by now).
    public func startPeriodicFlush(every interval: Double = 60, take: @escaping @Sendable () -> ExitSnapshot,
                                   apiServer: @escaping @Sendable () -> Counters = { [:] }) throws(VMMError) {
        let sampler = try ExitSampler(interval: interval, take: take) { [weak self] snapshot in
            self?.flush(snapshot, apiServer: apiServer())
        }
        try self.sampler.withLock { (current: inout ExitSampler?) throws(VMMError) in
            guard current == nil else {
                throw .invalidState(operation: "start periodic metrics", state: "already flushing periodically")
            }
            current = sampler
        }
        try sampler.start()
    }

    /// Stops the periodic flush after its last line; does nothing if none runs.
    public func stopPeriodicFlush() {
        let running = sampler.withLock { current in
            defer { current = nil }
            return current
        }
        running?.stop()
    }

    private func makeLine(_ snapshot: ExitSnapshot, apiServer: Counters, vmm: Counters,
                          previous: inout Totals) -> String {
        let exits = ExitReason.allCases.map { snapshot.total($0) }
        let kernelExits = snapshot.totalKernelExits
        var reported = Totals()
        for index in exits.indices { reported.exits[index] = count(exits[index], was: previous.exits[index]) }
        let kernelDelta = kernelExits.map { count($0, was: previous.kernelExits) }
        for (name, value) in apiServer { reported.apiServer[name] = count(value, was: previous.apiServer[name] ?? 0) }
        for (name, value) in vmm { reported.vmm[name] = count(value, was: previous.vmm[name] ?? 0) }
        previous.exits = exits
        if let kernelExits { previous.kernelExits = kernelExits }
        previous.apiServer.merge(apiServer) { _, new in new }
        previous.vmm.merge(vmm) { _, new in new }

        func exitCount(_ reason: ExitReason) -> UInt64 { reported.exits[reason.rawValue] }
        let failures = exitCount(.internalError) + exitCount(.failEntry) + exitCount(.unknown)
        var vmmGroup = reported.vmm
        vmmGroup["exits"] = reported.exits.reduce(0, +)
        if let kernelDelta { vmmGroup["kernel_exits"] = kernelDelta }
        var exitGroup: Counters = [:]
        for reason in ExitReason.allCases { exitGroup[reason.name] = exitCount(reason) }
        let vcpu: Counters = [
            "exit_io_in": exitCount(.ioIn), "exit_io_out": exitCount(.ioOut),
            "exit_mmio_read": exitCount(.mmioRead), "exit_mmio_write": exitCount(.mmioWrite),
            "failures": failures,
        ]
        return "{\"api_server\":" + Self.object(reported.apiServer) + ",\"exits\":" + Self.object(exitGroup)
            + ",\"utc_timestamp_ms\":\(Self.utcMilliseconds()),\"vcpu\":" + Self.object(vcpu)
            + ",\"vmm\":" + Self.object(vmmGroup) + "}\n"
    }

    private func count(_ value: UInt64, was old: UInt64) -> UInt64 {
        switch reporting {
        case .totals: return value
        case .deltas: return value >= old ? value - old : value
        }
    }

    /// A flat JSON object of counters, keys sorted.
    static func object(_ counters: Counters) -> String {
        "{" + counters.keys.sorted().map { "\(jsonString($0)):\(counters[$0] ?? 0)" }.joined(separator: ",") + "}"
    }

    static func jsonString(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }

    private static func utcMilliseconds() -> UInt64 {
        let now = LogLine.now()
        return UInt64(max(now.tv_sec, 0)) * 1000 + UInt64(now.tv_nsec / 1_000_000)
    }
}
