/// The text `vmm cpuid` prints: the final table, one line per leaf and subleaf
/// in the form the `cpuid.elf` test guest prints, then each named feature on
/// or off. Lines starting with `#` are comments.
public enum CPUIDReport {
    /// "cpuid 00000001.0 00a10f11 00020800 81202000 078bfbff": leaf, subleaf, EAX..EDX in hex.
    public static func line(_ entry: CPUIDEntry) -> String {
        "cpuid \(hex(entry.function)).\(entry.index) \(hex(entry.eax)) \(hex(entry.ebx)) \(hex(entry.ecx)) \(hex(entry.edx))"
    }

    public static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    public static func lines(_ result: CPUIDPolicyResult, vcpu: UInt32 = 0) -> [String] {
        let policy = result.policy
        let features = policy.features.isEmpty ? "none" : policy.features.map(\.description).joined(separator: ",")
        var lines = ["# swift-vmm CPUID for vCPU \(vcpu): template \(policy.template.rawValue), "
            + "features \(features), \(policy.edits.count) raw edit(s)"]
        if !result.missingTemplateFeatures.isEmpty {
            lines.append("# not supported by KVM here, so absent from the \(policy.template.rawValue) template: "
                + result.missingTemplateFeatures.joined(separator: " "))
        }
        if !result.cascadedRemovals.isEmpty {
            lines.append("# removed because a feature they require was removed: "
                + result.cascadedRemovals.joined(separator: " "))
        }
        lines.append("# cpuid LEAF.SUBLEAF EAX EBX ECX EDX")
        lines += result.table.withAPICID(vcpu).sorted.map(line)
        lines.append("# feature NAME on|off LEAF.SUBLEAF REGISTER bit N (note)")
        for feature in CPUFeatureCatalog.features {
            let state = result.isEnabled(feature) ? "on" : "off"
            var text = "feature \(feature.name) \(state) \(feature.location) bit \(feature.bit)"
            if let note = note(feature, result) { text += " (\(note))" }
            lines.append(text)
        }
        return lines
    }

    static func note(_ feature: CPUFeature, _ result: CPUIDPolicyResult) -> String? {
        switch feature.kind {
        case .osControlled: return "set by the guest OS"
        case .paravirtualUnavailable: return "not offered by swift-vmm"
        case .paravirtualOptIn where !result.isEnabled(feature) && result.isSupported(feature):
            return "opt-in: +\(feature.name)"
        default: return result.isSupported(feature) ? nil : "not supported by KVM"
        }
    }
}
