import KVM

/// One vCPU's user-space side of the MSR policy: answers the RDMSR/WRMSR exits
/// the filter sends up, by the first rule covering the access. Values recorded
/// by `record` rules live in storage allocated up front, per vCPU (MSRs are
/// per-CPU registers), so handling an exit allocates nothing and takes no lock.
final class MSRHandler: @unchecked Sendable {
    private let rules: [MSRRule]
    /// For each rule, its recorded values (one per MSR of the range), or nil.
    private let recorded: [UnsafeMutablePointer<UInt64>?]

    init(rules: [MSRRule]) {
        self.rules = rules
        recorded = rules.map { rule in
            guard case .record(let initial) = rule.action else { return nil }
            let values = UnsafeMutablePointer<UInt64>.allocate(capacity: Int(rule.count))
            values.initialize(repeating: initial, count: Int(rule.count))
            return values
        }
    }

    deinit {
        for values in recorded { values?.deallocate() }
    }

    /// Completes the access: sets the value read, keeps the value written, or
    /// makes the instruction raise #GP.
    @inline(__always)
    func handle(_ access: MSRExit) {
        for index in rules.indices where rules[index].covers(access.index, write: access.isWrite) {
            switch rules[index].action {
            case .allow:
                // KVM does not send allowed accesses up; if it does, behave as hardware would not: #GP.
                access.injectGeneralProtection()
            case .generalProtection:
                access.injectGeneralProtection()
            case .value(let value):
                if !access.isWrite { access.value = value }
            case .record:
                guard let values = recorded[index] else { return }
                let slot = Int(access.index - rules[index].first)
                if access.isWrite { values[slot] = access.value } else { access.value = values[slot] }
            }
            return
        }
        // No rule asked for this exit (KVM sends only filtered accesses): #GP.
        access.injectGeneralProtection()
    }
}
