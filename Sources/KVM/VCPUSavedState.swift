import CKVM
import CPUModel

/// The sizes of the kvm structs a snapshot stores as raw bytes, for checking a
/// state file before any of it reaches KVM.
public enum KVMStateLayout {
    public static let registers = MemoryLayout<kvm_regs>.size
    public static let specialRegisters = MemoryLayout<kvm_sregs>.size
    public static let fpu = MemoryLayout<kvm_fpu>.size
    /// The legacy XSAVE area (KVM_GET_XSAVE); KVM_GET_XSAVE2 may use a larger one.
    public static let xsave = MemoryLayout<kvm_xsave>.size
    public static let xcrs = MemoryLayout<kvm_xcrs>.size
    public static let debugRegisters = MemoryLayout<kvm_debugregs>.size
    public static let lapic = MemoryLayout<kvm_lapic_state>.size
    public static let events = MemoryLayout<kvm_vcpu_events>.size
    public static let irqchip = MemoryLayout<kvm_irqchip>.size
    public static let pit = MemoryLayout<kvm_pit_state2>.size
    public static let clock = MemoryLayout<kvm_clock_data>.size
}

/// One MSR and its value, as KVM_GET_MSRS returned it.
public struct MSRValue: Sendable, Equatable {
    public var index: UInt32
    public var value: UInt64

    public init(index: UInt32, value: UInt64) {
        self.index = index
        self.value = value
    }
}

/// How a vCPU's floating-point and vector state was saved.
public enum FPUStateKind: UInt8, Sendable {
    /// KVM_GET_XSAVE / KVM_GET_XSAVE2 (the area's size is the byte count).
    case xsave = 1
    /// KVM_GET_FPU (`struct kvm_fpu`), where KVM has no XSAVE support.
    case fpu = 2
}

/// Everything KVM holds about one vCPU, each piece the raw bytes of its kvm
/// struct (`KVMStateLayout` gives the sizes), read from a stopped vCPU with
/// `VCPUFD.saveState` and written back to a fresh one with `restoreState`.
public struct VCPUSavedState: Sendable, Equatable {
    public var cpuid: CPUIDTable
    /// KVM_MP_STATE_* (runnable, halted, ...).
    public var mpState: UInt32
    public var registers: [UInt8]
    public var specialRegisters: [UInt8]
    public var fpuKind: FPUStateKind
    public var fpu: [UInt8]
    /// nil where KVM has no KVM_CAP_XCRS.
    public var xcrs: [UInt8]?
    public var debugRegisters: [UInt8]?
    public var lapic: [UInt8]
    public var msrs: [MSRValue]
    public var events: [UInt8]?
    /// The guest TSC frequency (0 when KVM could not say).
    public var tscKHz: UInt64

    public init(cpuid: CPUIDTable, mpState: UInt32, registers: [UInt8], specialRegisters: [UInt8],
                fpuKind: FPUStateKind, fpu: [UInt8], xcrs: [UInt8]?, debugRegisters: [UInt8]?, lapic: [UInt8],
                msrs: [MSRValue], events: [UInt8]?, tscKHz: UInt64) {
        self.cpuid = cpuid
        self.mpState = mpState
        self.registers = registers
        self.specialRegisters = specialRegisters
        self.fpuKind = fpuKind
        self.fpu = fpu
        self.xcrs = xcrs
        self.debugRegisters = debugRegisters
        self.lapic = lapic
        self.msrs = msrs
        self.events = events
        self.tscKHz = tscKHz
    }
}
