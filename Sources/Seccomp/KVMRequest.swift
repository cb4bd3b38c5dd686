/// The `ioctl` request numbers a vCPU thread issues while the VM runs (x86_64,
/// from `<linux/kvm.h>`; SeccompTests checks them against CKVM's constants).
/// Kept here, not imported from CKVM, so that this target stays free of KVM.
public enum KVMRequest {
    public static let run: UInt32 = 0xAE80
    public static let getRegisters: UInt32 = 0x8090_AE81
    public static let setRegisters: UInt32 = 0x4090_AE82
    public static let getSpecialRegisters: UInt32 = 0x8138_AE83
    public static let setSpecialRegisters: UInt32 = 0x4138_AE84
    public static let getMPState: UInt32 = 0x8004_AE98
    public static let translate: UInt32 = 0xC018_AE85

    /// What `VCPULoop` needs: KVM_RUN; the registers and MP state it reads when the
    /// halt monitor asks whether it is idle or `vmm lab` inspects it; KVM_TRANSLATE
    /// for the lab's page-table walk. Everything else (snapshots, set-up) is done by
    /// the control thread while the vCPU is parked.
    public static let vcpuRunTime: [UInt32] = [
        run, getRegisters, getSpecialRegisters, getMPState, setRegisters, setSpecialRegisters, translate,
    ]
}
