import CKVM
import CPUModel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

extension VCPUFD {
    /// Completes the exit the vCPU last returned with: KVM finishes an I/O or MMIO
    /// exit (stores an `in` result, advances RIP) only on the next KVM_RUN. With
    /// `immediate_exit` set, KVM_RUN does that and returns EINTR without entering
    /// the guest. Call on the vCPU's own thread before its state is read.
    public func completePendingExit() {
        requestImmediateExit(true)
        _ = runOnce()
        requestImmediateExit(false)
    }

    /// The size of the XSAVE area this vCPU's KVM uses (KVM_CAP_XSAVE2, else the
    /// legacy 4 KiB), or nil when KVM has no XSAVE support (KVM_GET_FPU is used).
    public var xsaveSize: Int? {
        guard vm.system.check(.xsave) > 0 else { return nil }
        return max(Int(vm.system.check(.xsave2)), KVMStateLayout.xsave)
    }

    /// Reads every piece of the vCPU's state (the vCPU must not be running; call
    /// `completePendingExit` first on a vCPU that ran).
    public func saveState(msrIndices: [UInt32]) throws(KVMError) -> VCPUSavedState {
        let fd = descriptor.rawValue
        let fpuKind: FPUStateKind
        let fpu: [UInt8]
        if let size = xsaveSize {
            fpuKind = .xsave
            fpu = try kvmGetBytes(fd, size > KVMStateLayout.xsave ? CKVM_GET_XSAVE2 : CKVM_GET_XSAVE, size: size,
                                  "KVM_GET_XSAVE")
        } else {
            fpuKind = .fpu
            fpu = try kvmGetBytes(fd, CKVM_GET_FPU, size: KVMStateLayout.fpu, "KVM_GET_FPU")
        }
        var mp = kvm_mp_state()
        _ = try kvmIoctl(fd, CKVM_GET_MP_STATE, value: &mp, "KVM_GET_MP_STATE")
        let system = vm.system
        return VCPUSavedState(
            cpuid: try cpuid(),
            mpState: mp.mp_state,
            registers: try kvmGetBytes(fd, CKVM_GET_REGS, size: KVMStateLayout.registers, "KVM_GET_REGS"),
            specialRegisters: try kvmGetBytes(fd, CKVM_GET_SREGS, size: KVMStateLayout.specialRegisters,
                                              "KVM_GET_SREGS"),
            fpuKind: fpuKind, fpu: fpu,
            xcrs: system.check(.xcrs) > 0
                ? try kvmGetBytes(fd, CKVM_GET_XCRS, size: KVMStateLayout.xcrs, "KVM_GET_XCRS") : nil,
            debugRegisters: system.check(.debugRegisters) > 0
                ? try kvmGetBytes(fd, CKVM_GET_DEBUGREGS, size: KVMStateLayout.debugRegisters, "KVM_GET_DEBUGREGS")
                : nil,
            lapic: try kvmGetBytes(fd, CKVM_GET_LAPIC, size: KVMStateLayout.lapic, "KVM_GET_LAPIC"),
            msrs: try readMSRs(msrIndices),
            events: system.check(.vcpuEvents) > 0
                ? try kvmGetBytes(fd, CKVM_GET_VCPU_EVENTS, size: KVMStateLayout.events, "KVM_GET_VCPU_EVENTS")
                : nil,
            tscKHz: (try? tscKHz()) ?? 0)
    }

    /// Writes a saved state into this (fresh, not yet run) vCPU in the order KVM
    /// needs: CPUID, TSC frequency, MP state, registers, special registers, FPU/XSAVE,
    /// XCRs, debug registers, local APIC, MSRs, and pending events last.
    public func restoreState(_ state: VCPUSavedState) throws(KVMError) {
        let fd = descriptor.rawValue
        try setCPUID(state.cpuid)
        if state.tscKHz != 0, vm.system.check(.tscControl) > 0, (try? tscKHz()) != state.tscKHz {
            _ = try kvmIoctl(fd, CKVM_SET_TSC_KHZ, UInt(state.tscKHz), "KVM_SET_TSC_KHZ")
        }
        var mp = kvm_mp_state()
        mp.mp_state = state.mpState
        _ = try kvmIoctl(fd, CKVM_SET_MP_STATE, value: &mp, "KVM_SET_MP_STATE")
        try kvmSetBytes(fd, CKVM_SET_REGS, state.registers, size: KVMStateLayout.registers, "KVM_SET_REGS")
        try kvmSetBytes(fd, CKVM_SET_SREGS, state.specialRegisters, size: KVMStateLayout.specialRegisters,
                        "KVM_SET_SREGS")
        switch state.fpuKind {
        case .xsave:
            try kvmSetBytes(fd, CKVM_SET_XSAVE, state.fpu, size: xsaveSize ?? -1, "KVM_SET_XSAVE")
        case .fpu:
            try kvmSetBytes(fd, CKVM_SET_FPU, state.fpu, size: KVMStateLayout.fpu, "KVM_SET_FPU")
        }
        if let xcrs = state.xcrs {
            try kvmSetBytes(fd, CKVM_SET_XCRS, xcrs, size: KVMStateLayout.xcrs, "KVM_SET_XCRS")
        }
        if let debug = state.debugRegisters {
            try kvmSetBytes(fd, CKVM_SET_DEBUGREGS, debug, size: KVMStateLayout.debugRegisters, "KVM_SET_DEBUGREGS")
        }
        try kvmSetBytes(fd, CKVM_SET_LAPIC, state.lapic, size: KVMStateLayout.lapic, "KVM_SET_LAPIC")
        try writeMSRs(state.msrs)
        if let events = state.events {
            try kvmSetBytes(fd, CKVM_SET_VCPU_EVENTS, Self.eventsForRestore(events), size: KVMStateLayout.events,
                            "KVM_SET_VCPU_EVENTS")
        }
    }

    /// KVM_GET_CPUID2: the CPUID table this vCPU answers with.
    public func cpuid() throws(KVMError) -> CPUIDTable {
        var capacity = 256
        while true {
            let buffer = CPUIDBuffer(capacity: capacity)
            defer { buffer.deallocate() }
            if ckvm_ioctl_ptr(descriptor.rawValue, CKVM_GET_CPUID2, buffer.raw) >= 0 { return buffer.table() }
            let code = errno
            guard code == E2BIG, capacity < 8192 else {
                throw .ioctlFailed(operation: "KVM_GET_CPUID2", errno: Errno(rawValue: code))
            }
            capacity *= 2
        }
    }

    /// The events with the validity flags set for NMI and SIPI state too, so that
    /// KVM_SET_VCPU_EVENTS restores them (KVM_GET_VCPU_EVENTS does not set them).
    static func eventsForRestore(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count == KVMStateLayout.events else { return bytes }
        var events = kvm_vcpu_events()
        withUnsafeMutableBytes(of: &events) { $0.copyBytes(from: bytes) }
        events.flags |= UInt32(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR)
        return withUnsafeBytes(of: &events) { Array($0) }
    }
}
