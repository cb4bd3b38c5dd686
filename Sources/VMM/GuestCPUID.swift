import CPUModel
import KVM
import Logging

/// The CPUID policy applied to what this host's KVM supports: the table every
/// vCPU gets, before its own APIC ID.
public enum GuestCPUID {
    /// Opens KVM at `kvmPath` and applies `policy` to KVM_GET_SUPPORTED_CPUID
    /// (what `vmm cpuid` prints).
    public static func resolve(_ policy: CPUIDPolicy, kvmPath: String = "/dev/kvm") throws(VMMError)
        -> CPUIDPolicyResult
    {
        let system: KVMSystem
        do { system = try KVMSystem(path: kvmPath) } catch { throw .kvm(error) }
        return try resolve(policy, system: system)
    }

    static func resolve(_ policy: CPUIDPolicy, system: KVMSystem) throws(VMMError) -> CPUIDPolicyResult {
        let supported: CPUIDTable
        do { supported = try system.supportedCPUID() } catch { throw .kvm(error) }
        do {
            return try policy.apply(to: supported)
        } catch {
            throw .invalidConfiguration(option: error.option, reason: error.description)
        }
    }

    /// The table for a machine being built; warns when the template names
    /// features KVM cannot give the guest here.
    static func table(_ policy: CPUIDPolicy, system: KVMSystem) throws(VMMError) -> CPUIDTable {
        let result = try resolve(policy, system: system)
        if !result.missingTemplateFeatures.isEmpty {
            let missing = result.missingTemplateFeatures.joined(separator: " ")
            Logger(label: "swift-vmm.cpuid").warning(
                "CPU template \(policy.template.rawValue): KVM on this host does not support \(missing); the guest will not see them")
        }
        return result.table
    }
}
