import CoreMetrics

/// Publishes a VM's exit counts to swift-metrics, so whatever backend the
/// process bootstrapped (Prometheus, StatsD, ...) sees them:
///
/// - `vmm_exits_total{vcpu, reason}`: exits to user space (reason as in the report);
/// - `vmm_kvm_exits_total{vcpu}`: every exit KVM saw, including those it handled.
///
/// Counters are created on first use and advanced by the difference between
/// snapshots, off the vCPU threads.
public final class ExitMetrics: @unchecked Sendable {
    private var published: ExitSnapshot?
    private var exitCounters: [[Counter?]] = []
    private var kernelCounters: [Counter] = []
    private let prefix: String
    private let factory: any MetricsFactory

    /// `prefix` starts every metric name ("vmm" gives `vmm_exits_total`); the
    /// counters come from `factory` (the bootstrapped metrics system by default).
    public init(prefix: String = "vmm", factory: any MetricsFactory = MetricsSystem.factory) {
        self.prefix = prefix
        self.factory = factory
    }

    /// Adds what happened since the previous call. Call from one thread at a time.
    public func publish(_ snapshot: ExitSnapshot) {
        let previous = published
        for (vcpu, counts) in snapshot.exits.enumerated() {
            while exitCounters.count <= vcpu {
                exitCounters.append(Array(repeating: nil, count: ExitReason.count))
                kernelCounters.append(Counter(label: "\(prefix)_kvm_exits_total",
                                              dimensions: [("vcpu", String(kernelCounters.count))], factory: factory))
            }
            for reason in ExitReason.allCases where reason.rawValue < counts.count {
                let before = previous.flatMap { $0.exits.indices.contains(vcpu) ? $0.exits[vcpu][reason.rawValue] : nil } ?? 0
                let delta = counts[reason.rawValue] &- before
                guard delta > 0, delta <= UInt64(Int64.max) else { continue }
                let counter = exitCounters[vcpu][reason.rawValue] ?? Counter(
                    label: "\(prefix)_exits_total", dimensions: [("vcpu", String(vcpu)), ("reason", reason.name)],
                    factory: factory)
                exitCounters[vcpu][reason.rawValue] = counter
                counter.increment(by: Int64(delta))
            }
            if let now = snapshot.kernelExits[vcpu] {
                let before = previous.flatMap { $0.kernelExits.indices.contains(vcpu) ? $0.kernelExits[vcpu] : nil } ?? 0
                let delta = now &- before
                if delta > 0, delta <= UInt64(Int64.max) { kernelCounters[vcpu].increment(by: Int64(delta)) }
            }
        }
        published = snapshot
    }
}
