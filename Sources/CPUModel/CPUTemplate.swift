/// A named starting point for the guest's CPUID, applied to what KVM supports.
/// A template only removes: it never shows a bit KVM does not support.
public enum CPUTemplate: String, Sendable, CaseIterable, Hashable {
    /// Everything KVM supports on this host, as KVM reports it.
    case host
    /// A portable x86-64-v2 set (SSE4.2, POPCNT, CX16, LAHF/SAHF) plus what
    /// KVM emulates on any host (x2APIC, TSC deadline, ARAT); no AVX or XSAVE,
    /// nothing in leaf 7, leaves capped at 0xD and 0x80000008.
    case baseline
    /// Just enough for a 64-bit OS: the x86-64 baseline without extensions.
    case minimal

    public static func named(_ name: String) throws(CPUIDPolicyError) -> CPUTemplate {
        guard let template = CPUTemplate(rawValue: name.lowercased()) else { throw .unknownTemplate(name) }
        return template
    }

    /// The features the template keeps (when KVM supports them); nil: all.
    public var features: [String]? {
        switch self {
        case .host: return nil
        case .baseline: return Self.baselineFeatures
        case .minimal: return Self.minimalFeatures
        }
    }

    static let minimalFeatures = [
        "fpu", "pse", "tsc", "msr", "pae", "cx8", "apic", "sep", "pge", "cmov", "pat", "mmx", "fxsr", "sse", "sse2",
        "hypervisor", "syscall", "nx", "lm",
    ]

    static let baselineFeatures = [
        "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "sep", "mtrr", "pge", "mca", "cmov",
        "pat", "pse36", "clflush", "mmx", "fxsr", "sse", "sse2",
        "pni", "ssse3", "cx16", "sse4_1", "sse4_2", "x2apic", "popcnt", "tsc_deadline_timer", "hypervisor",
        "arat", "lahf_lm", "syscall", "nx", "lm",
    ]

    /// The highest basic and extended leaves the template keeps (nil: KVM's).
    public var leafLimits: (basic: UInt32, extended: UInt32)? {
        self == .host ? nil : (0xD, 0x8000_0008)
    }

    /// Per feature register, the bits the template keeps.
    var masks: [CPUIDLocation: UInt32]? {
        guard let features else { return nil }
        var masks: [CPUIDLocation: UInt32] = [:]
        for location in CPUIDLocation.featureRegisters where location.leaf != HypervisorLeaves.kvmFeatures {
            masks[location] = 0
        }
        for name in features {
            guard let feature = CPUFeatureCatalog.feature(named: name) else { continue }
            for place in feature.places { masks[place, default: 0] |= feature.mask }
        }
        return masks
    }

    /// Cuts `table` down to the template: feature registers masked, leaves
    /// beyond the limits removed and the maximum leaves lowered.
    func apply(to table: inout CPUIDTable) {
        guard let masks, let limits = leafLimits else { return }
        for (location, mask) in masks {
            if let value = table[location] { table.set(location, to: value & mask) }
        }
        table.entries.removeAll { entry in
            let function = entry.function
            if function < HypervisorLeaves.rangeStart { return function > limits.basic }
            if function >= 0x8000_0000 && function < 0x9000_0000 { return function > limits.extended }
            return function >= 0xC000_0000
        }
        table.modify(function: 0) { $0.eax = min($0.eax, limits.basic) }
        table.modify(function: 0x8000_0000) { $0.eax = min($0.eax, limits.extended) }
    }
}
