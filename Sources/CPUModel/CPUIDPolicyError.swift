/// Why a CPUID policy could not be built. Each case names the culprit.
public enum CPUIDPolicyError: Error, Equatable, CustomStringConvertible {
    case unknownTemplate(String)
    /// A `--cpu-features` item that is not `+name`, `-name` or `name`.
    case malformedFeatureItem(String)
    case unknownFeature(String, suggestions: [String])
    /// `+name` for a feature KVM does not support on this host.
    case unsupportedFeature(CPUFeature)
    /// `+name` for a bit the guest OS controls (OSXSAVE, OSPKE).
    case osControlledFeature(CPUFeature)
    /// `+name` for a KVM paravirtual feature swift-vmm cannot offer.
    case unavailableFeature(CPUFeature, reason: String)
    /// `+name` while a feature it requires is off.
    case missingPrerequisite(feature: String, requires: String)
    /// The `--cpuid-file` is not JSON, or not an array of objects.
    case invalidJSON(String)
    /// Edit `index` (from 0) of the `--cpuid-file` has a bad field.
    case invalidEdit(index: Int, field: String, reason: String)
    /// Edit `index` names a leaf and subleaf the table does not have.
    case unknownLeaf(index: Int, leaf: UInt32, subleaf: UInt32)
    /// Edit `index` sets feature bits KVM does not support.
    case unsupportedBits(index: Int, location: CPUIDLocation, bits: UInt32)

    /// The command-line option the error is about.
    public var option: String {
        switch self {
        case .unknownTemplate: return "--cpu-template"
        case .malformedFeatureItem, .unknownFeature, .unsupportedFeature, .osControlledFeature,
             .unavailableFeature, .missingPrerequisite:
            return "--cpu-features"
        case .invalidJSON, .invalidEdit, .unknownLeaf, .unsupportedBits: return "--cpuid-file"
        }
    }

    public var description: String {
        switch self {
        case .unknownTemplate(let name):
            let names = CPUTemplate.allCases.map(\.rawValue).joined(separator: ", ")
            return "unknown CPU template '\(name)' (use one of: \(names))"
        case .malformedFeatureItem(let item):
            return "'\(item)' is not a feature edit (use +name to add, -name to remove, e.g. -avx,+x2apic)"
        case .unknownFeature(let name, let suggestions):
            let hint = suggestions.isEmpty ? "" : "; did you mean \(suggestions.joined(separator: ", "))?"
            return "unknown CPU feature '\(name)'\(hint) (`vmm cpuid` lists every feature)"
        case .unsupportedFeature(let feature):
            return "cannot add \(feature): KVM on this host does not support it"
        case .osControlledFeature(let feature):
            return "cannot add \(feature): the guest OS controls this bit (KVM reflects a CR4 bit the guest sets)"
        case .unavailableFeature(let feature, let reason):
            return "cannot add \(feature): swift-vmm does not offer it: \(reason)"
        case .missingPrerequisite(let feature, let requires):
            return "cannot add \(feature): it requires \(requires), which is off"
        case .invalidJSON(let reason):
            return "not a JSON array of CPUID edits: \(reason)"
        case .invalidEdit(let index, let field, let reason):
            return "edit \(index), field '\(field)': \(reason)"
        case .unknownLeaf(let index, let leaf, let subleaf):
            return "edit \(index), field 'leaf': leaf 0x\(String(leaf, radix: 16)) subleaf \(subleaf) "
                + "is not in the CPUID table (`vmm cpuid` prints the table)"
        case .unsupportedBits(let index, let location, let bits):
            return "edit \(index), field 'value': sets bits 0x\(String(bits, radix: 16)) of \(location), "
                + "feature bits KVM on this host does not support"
        }
    }
}
