import CKVM

/// A KVM capability, as passed to KVM_CHECK_EXTENSION, with its name for messages.
public struct Capability: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let rawValue: Int32

    public init(name: String, rawValue: Int32) {
        self.name = name
        self.rawValue = rawValue
    }

    public var description: String { name }

    public static let userMemory = Capability(name: "KVM_CAP_USER_MEMORY", rawValue: KVM_CAP_USER_MEMORY)
    public static let setTSSAddress = Capability(name: "KVM_CAP_SET_TSS_ADDR", rawValue: KVM_CAP_SET_TSS_ADDR)
    public static let extendedCPUID = Capability(name: "KVM_CAP_EXT_CPUID", rawValue: KVM_CAP_EXT_CPUID)
    public static let immediateExit = Capability(name: "KVM_CAP_IMMEDIATE_EXIT", rawValue: KVM_CAP_IMMEDIATE_EXIT)
    public static let setIdentityMapAddress = Capability(
        name: "KVM_CAP_SET_IDENTITY_MAP_ADDR", rawValue: KVM_CAP_SET_IDENTITY_MAP_ADDR)
    public static let binaryStatsFD = Capability(name: "KVM_CAP_BINARY_STATS_FD", rawValue: KVM_CAP_BINARY_STATS_FD)
    public static let syncRegisters = Capability(name: "KVM_CAP_SYNC_REGS", rawValue: KVM_CAP_SYNC_REGS)
    public static let coalescedMMIO = Capability(name: "KVM_CAP_COALESCED_MMIO", rawValue: KVM_CAP_COALESCED_MMIO)
    public static let coalescedPIO = Capability(name: "KVM_CAP_COALESCED_PIO", rawValue: KVM_CAP_COALESCED_PIO)
    public static let ioeventfd = Capability(name: "KVM_CAP_IOEVENTFD", rawValue: KVM_CAP_IOEVENTFD)
    public static let irqfd = Capability(name: "KVM_CAP_IRQFD", rawValue: KVM_CAP_IRQFD)
    public static let irqchip = Capability(name: "KVM_CAP_IRQCHIP", rawValue: KVM_CAP_IRQCHIP)
    public static let userSpaceMSR = Capability(name: "KVM_CAP_X86_USER_SPACE_MSR", rawValue: KVM_CAP_X86_USER_SPACE_MSR)
    public static let msrFilter = Capability(name: "KVM_CAP_X86_MSR_FILTER", rawValue: KVM_CAP_X86_MSR_FILTER)
    public static let haltPoll = Capability(name: "KVM_CAP_HALT_POLL", rawValue: KVM_CAP_HALT_POLL)
    public static let disableExits = Capability(name: "KVM_CAP_X86_DISABLE_EXITS", rawValue: KVM_CAP_X86_DISABLE_EXITS)
    public static let maxVCPUs = Capability(name: "KVM_CAP_MAX_VCPUS", rawValue: KVM_CAP_MAX_VCPUS)
    public static let recommendedVCPUs = Capability(name: "KVM_CAP_NR_VCPUS", rawValue: KVM_CAP_NR_VCPUS)
    public static let xsave = Capability(name: "KVM_CAP_XSAVE", rawValue: CKVM_CAP_XSAVE)
    /// Its value is the size of the XSAVE area KVM_GET_XSAVE2 fills (0: use KVM_GET_XSAVE).
    public static let xsave2 = Capability(name: "KVM_CAP_XSAVE2", rawValue: CKVM_CAP_XSAVE2)
    public static let xcrs = Capability(name: "KVM_CAP_XCRS", rawValue: CKVM_CAP_XCRS)
    public static let debugRegisters = Capability(name: "KVM_CAP_DEBUGREGS", rawValue: CKVM_CAP_DEBUGREGS)
    public static let vcpuEvents = Capability(name: "KVM_CAP_VCPU_EVENTS", rawValue: CKVM_CAP_VCPU_EVENTS)
    public static let adjustClock = Capability(name: "KVM_CAP_ADJUST_CLOCK", rawValue: CKVM_CAP_ADJUST_CLOCK)
    public static let tscControl = Capability(name: "KVM_CAP_TSC_CONTROL", rawValue: CKVM_CAP_TSC_CONTROL)

    /// What swift-vmm cannot run without: checked when the system handle is opened.
    public static let required: [Capability] = [userMemory, setTSSAddress, extendedCPUID, immediateExit]
}
