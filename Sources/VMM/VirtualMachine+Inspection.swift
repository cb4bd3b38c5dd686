import KVM

/// Looking into a VM from the control plane: a vCPU's registers while it is not
/// running, address translation, the guest's TSC rate, and the probe windows.
extension VirtualMachine {
    /// What each of `configuration.probes` has seen so far, in order.
    public func probeCounts() -> [ProbeCounts] {
        machine.probes.map { $0.counts() }
    }

    /// The general-purpose registers of vCPU `index`; only while it is not inside
    /// KVM_RUN (before `start`, paused, or stopped).
    public func registers(vcpu index: Int) throws(VMMError) -> Registers {
        let vcpu = try idleVCPU(index, operation: "read registers")
        do { return try vcpu.registers() } catch { throw .kvm(error) }
    }

    /// The system registers (CR0, CR3, CR4, EFER, segments) of vCPU `index`;
    /// only while it is not inside KVM_RUN.
    public func specialRegisters(vcpu index: Int) throws(VMMError) -> SpecialRegisters {
        let vcpu = try idleVCPU(index, operation: "read special registers")
        do { return try vcpu.specialRegisters() } catch { throw .kvm(error) }
    }

    /// The guest physical address KVM finds for `linearAddress` under vCPU
    /// `index`'s current paging (KVM_TRANSLATE), or nil when it is not mapped.
    public func translate(vcpu index: Int, linearAddress: UInt64) throws(VMMError) -> UInt64? {
        let vcpu = try idleVCPU(index, operation: "translate an address")
        do { return try vcpu.translate(linearAddress: linearAddress) } catch { throw .kvm(error) }
    }

    /// The rate of the guest's time-stamp counter in kHz (KVM_GET_TSC_KHZ on vCPU 0).
    public func guestTSCKHz() throws(VMMError) -> UInt64 {
        guard let vcpu = machine.vcpus.first else {
            throw .invalidState(operation: "read the TSC rate", state: "without vCPUs")
        }
        do { return try vcpu.tscKHz() } catch { throw .kvm(error) }
    }

    private func idleVCPU(_ index: Int, operation: String) throws(VMMError) -> VCPUFD {
        guard machine.vcpus.indices.contains(index) else {
            throw .invalidState(operation: operation, state: "without a vCPU \(index)")
        }
        let state = vcpuStates[index]
        guard state != .running else {
            throw .invalidState(operation: "\(operation) of vCPU \(index)", state: "running (pause it first)")
        }
        return machine.vcpus[index]
    }
}
