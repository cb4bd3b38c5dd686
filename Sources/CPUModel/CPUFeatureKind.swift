/// Who decides a feature bit, and whether a policy may turn it on.
public enum CPUFeatureKind: Sendable, Hashable {
    /// A processor feature: shown when KVM supports it and the policy keeps it.
    case processor
    /// A bit KVM computes from a control register the guest OS sets (OSXSAVE from
    /// CR4.OSXSAVE, OSPKE from CR4.PKE). A policy cannot turn it on; turning it
    /// off changes nothing the guest sees.
    case osControlled
    /// A KVM paravirtual feature swift-vmm offers whenever KVM supports it.
    case paravirtual
    /// A KVM paravirtual feature KVM implements alone, off unless asked for (`+name`).
    case paravirtualOptIn
    /// A KVM paravirtual feature swift-vmm cannot offer, and why.
    case paravirtualUnavailable(reason: String)

    public var isParavirtual: Bool {
        switch self {
        case .paravirtual, .paravirtualOptIn, .paravirtualUnavailable: return true
        case .processor, .osControlled: return false
        }
    }
}
