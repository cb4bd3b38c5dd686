import Histogram

/// The exit accounting of a VM run, per vCPU and in total: what `--stats` prints
/// and `--stats-json` writes.
public struct ExitReport: Codable, Sendable {
    /// Exits of one reason and the user-space time spent handling them (ns).
    public struct ReasonSummary: Codable, Sendable {
        public var reason: String
        public var count: UInt64
        public var totalNanoseconds: UInt64
        public var meanNanoseconds: UInt64
        public var minNanoseconds: UInt64
        public var p50Nanoseconds: UInt64
        public var p90Nanoseconds: UInt64
        public var p99Nanoseconds: UInt64
        public var maxNanoseconds: UInt64
    }

    public struct AddressCount: Codable, Sendable {
        public var address: UInt64
        public var count: UInt64
    }

    public struct VCPUReport: Codable, Sendable {
        public var vcpu: Int
        public var totalExits: UInt64
        public var reasons: [ReasonSummary]
        /// Exits per port.
        public var ports: [AddressCount]
        /// Accesses per port that hit no device.
        public var unassignedPorts: [AddressCount]
        /// Exits per 4 KiB MMIO page (address of the page).
        public var mmioPages: [AddressCount]
        /// Accesses per MMIO address that hit no device.
        public var unassignedMMIO: [AddressCount]
        /// Writes that reached a device through the coalesced ring instead of an
        /// exit each, per 4 KiB page (MMIO) or port.
        public var coalescedWrites: [AddressCount]
        /// RDMSR / WRMSR exits per MSR index (MSRs the `--msr` policy filters).
        public var msrReads: [AddressCount]
        public var msrWrites: [AddressCount]
        /// KVM's own counters for this vCPU (KVM_GET_STATS_FD), including exits
        /// handled inside the kernel; empty when the kernel has no stats fd.
        public var kvm: [String: UInt64]
    }

    public var vcpus: [VCPUReport]
    /// All vCPUs together.
    public var totals: [ReasonSummary]
    public var totalExits: UInt64
    /// From the start of the vCPUs to the end of the VM.
    public var wallNanoseconds: UInt64
    public var stopReason: String?
    public var exitStatus: Int32?

    init(statistics: [VCPUStatistics], kvm: [[String: UInt64]], wallNanoseconds: UInt64, stopReason: StopReason?) {
        var merged = [Histogram<UInt64>?](repeating: nil, count: ExitReason.count)
        var mergedTotals = [UInt64](repeating: 0, count: ExitReason.count)
        var mergedCounts = [UInt64](repeating: 0, count: ExitReason.count)
        vcpus = statistics.enumerated().map { index, stats in
            for reason in ExitReason.allCases where stats.exits(reason) > 0 {
                let histogram = stats.histogram(reason)
                if merged[reason.rawValue] == nil { merged[reason.rawValue] = histogram } else {
                    merged[reason.rawValue]?.add(histogram)
                }
                mergedTotals[reason.rawValue] += stats.handlingNanoseconds(reason)
                mergedCounts[reason.rawValue] += stats.exits(reason)
            }
            return VCPUReport(
                vcpu: index,
                totalExits: stats.totalExits,
                reasons: ExitReason.allCases.compactMap { reason in
                    stats.exits(reason) == 0 ? nil
                        : Self.summary(reason, count: stats.exits(reason), total: stats.handlingNanoseconds(reason),
                                       histogram: stats.histogram(reason))
                },
                ports: stats.ports().map { AddressCount(address: UInt64($0.port), count: $0.count) },
                unassignedPorts: stats.ports(unassignedOnly: true).map {
                    AddressCount(address: UInt64($0.port), count: $0.count)
                },
                mmioPages: stats.mmioPages.sorted().map { AddressCount(address: $0.address << 12, count: $0.count) },
                unassignedMMIO: stats.unassignedMMIO.sorted().map { AddressCount(address: $0.address, count: $0.count) },
                coalescedWrites: stats.coalescedWrites.sorted().map { AddressCount(address: $0.address, count: $0.count) },
                msrReads: stats.msrReads.sorted().map { AddressCount(address: $0.address, count: $0.count) },
                msrWrites: stats.msrWrites.sorted().map { AddressCount(address: $0.address, count: $0.count) },
                kvm: index < kvm.count ? kvm[index] : [:])
        }
        totals = ExitReason.allCases.compactMap { reason in
            guard let histogram = merged[reason.rawValue] else { return nil }
            return Self.summary(reason, count: mergedCounts[reason.rawValue],
                                total: mergedTotals[reason.rawValue], histogram: histogram)
        }
        totalExits = mergedCounts.reduce(0, +)
        self.wallNanoseconds = wallNanoseconds
        self.stopReason = stopReason?.summary
        self.exitStatus = stopReason?.exitStatus
    }

    private static func summary(_ reason: ExitReason, count: UInt64, total: UInt64,
                                histogram: Histogram<UInt64>) -> ReasonSummary {
        ReasonSummary(reason: reason.name, count: count, totalNanoseconds: total,
                      meanNanoseconds: count > 0 ? total / count : 0,
                      minNanoseconds: histogram.min, p50Nanoseconds: histogram.valueAtPercentile(50),
                      p90Nanoseconds: histogram.valueAtPercentile(90), p99Nanoseconds: histogram.valueAtPercentile(99),
                      maxNanoseconds: histogram.max)
    }

    /// Exits of `reason` (by its table name) over all vCPUs.
    public func count(_ reason: ExitReason) -> UInt64 {
        totals.first { $0.reason == reason.name }?.count ?? 0
    }

    /// Exits on `port` over all vCPUs.
    public func exits(port: UInt16) -> UInt64 {
        vcpus.reduce(0) { sum, vcpu in sum + (vcpu.ports.first { $0.address == UInt64(port) }?.count ?? 0) }
    }

    /// The sum of one KVM counter over all vCPUs.
    public func kvmCounter(_ name: String) -> UInt64? {
        let values = vcpus.compactMap { $0.kvm[name] }
        return values.isEmpty ? nil : values.reduce(0, +)
    }
}
