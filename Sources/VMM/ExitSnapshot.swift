/// The exit counts of a running VM at one instant (`VirtualMachine.exitCounts()`).
public struct ExitSnapshot: Sendable, Equatable {
    /// Monotonic nanoseconds when it was taken.
    public var time: UInt64
    /// Exits to user space, `[vcpu][ExitReason.rawValue]`.
    public var exits: [[UInt64]]
    /// Every exit KVM saw per vCPU, including those it handled itself (KVM's
    /// `exits` statistic; nil where the kernel has no statistics fd).
    public var kernelExits: [UInt64?]

    public init(time: UInt64, exits: [[UInt64]], kernelExits: [UInt64?]) {
        self.time = time
        self.exits = exits
        self.kernelExits = kernelExits
    }

    /// Exits of `reason` summed over the vCPUs.
    public func total(_ reason: ExitReason) -> UInt64 {
        exits.reduce(0) { $0 + ($1.indices.contains(reason.rawValue) ? $1[reason.rawValue] : 0) }
    }

    /// Exits to user space summed over vCPUs and reasons.
    public var totalExits: UInt64 { ExitReason.allCases.reduce(0) { $0 + total($1) } }

    /// KVM's exits summed over vCPUs (nil if no vCPU has the statistic).
    public var totalKernelExits: UInt64? {
        let known = kernelExits.compactMap { $0 }
        return known.isEmpty ? nil : known.reduce(0, +)
    }
}
