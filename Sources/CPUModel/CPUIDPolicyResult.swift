/// A policy applied to KVM's supported CPUID: the table every vCPU gets (before
/// its APIC ID), and what the policy could not do or did in passing.
public struct CPUIDPolicyResult: Sendable, Equatable {
    public let policy: CPUIDPolicy
    /// KVM_GET_SUPPORTED_CPUID as the policy found it.
    public let supported: CPUIDTable
    public let table: CPUIDTable
    /// Template features KVM does not support on this host (the guest will not see them).
    public let missingTemplateFeatures: [String]
    /// Features removed because a feature they require was removed (`-xsave` removes `avx`).
    public let cascadedRemovals: [String]

    /// Whether the guest sees `feature` (its main bit; OS-controlled bits as KVM starts them).
    public func isEnabled(_ feature: CPUFeature) -> Bool {
        table.isSet(feature.location, bit: feature.bit)
    }

    public func isSupported(_ feature: CPUFeature) -> Bool {
        supported.isSet(feature.location, bit: feature.bit)
    }
}
