import CKVM

extension VCPUFD {
    /// KVM_GET_TSC_KHZ: the frequency of the guest's time-stamp counter, in kHz, as
    /// KVM presents it to this vCPU (the rate at which guest `rdtsc` advances).
    public func tscKHz() throws(KVMError) -> UInt64 {
        UInt64(try kvmIoctl(descriptor.rawValue, CKVM_GET_TSC_KHZ, 0, "KVM_GET_TSC_KHZ"))
    }
}
