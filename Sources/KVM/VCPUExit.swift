import CKVM

/// A port I/O exit. `data` points into the vCPU's kvm_run area: `count` items of
/// `size` bytes, to be filled for an IN and read for an OUT. Valid until the next run.
public struct IOExit {
    public let port: UInt16
    public let isWrite: Bool
    /// Bytes per access: 1, 2 or 4.
    public let size: Int
    /// Number of accesses (greater than 1 for `rep ins/outs`).
    public let count: Int
    public let data: UnsafeMutableRawPointer

    @inlinable
    public init(port: UInt16, isWrite: Bool, size: Int, count: Int, data: UnsafeMutableRawPointer) {
        self.port = port
        self.isWrite = isWrite
        self.size = size
        self.count = count
        self.data = data
    }
}

/// An MMIO exit. `data` points to the 8-byte buffer in the kvm_run area.
public struct MMIOExit {
    public let address: UInt64
    public let isWrite: Bool
    /// Bytes accessed: 1, 2, 4 or 8.
    public let length: Int
    public let data: UnsafeMutableRawPointer

    @inlinable
    public init(address: UInt64, isWrite: Bool, length: Int, data: UnsafeMutableRawPointer) {
        self.address = address
        self.isWrite = isWrite
        self.length = length
        self.data = data
    }
}

/// An RDMSR or WRMSR that KVM passed to user space (a filtered MSR, with
/// KVM_CAP_X86_USER_SPACE_MSR). Points into the kvm_run area; valid until the next run.
public struct MSRExit {
    public let index: UInt32
    public let isWrite: Bool
    /// KVM_MSR_EXIT_REASON_* bits: why it came to user space (4: the filter).
    public let reason: UInt32
    let exit: UnsafeMutablePointer<ckvm_exit_msr>

    init(exit: UnsafeMutablePointer<ckvm_exit_msr>, isWrite: Bool) {
        self.exit = exit
        self.index = exit.pointee.index
        self.reason = exit.pointee.reason
        self.isWrite = isWrite
    }

    /// The value the guest writes (WRMSR) or will read (RDMSR, set it).
    public var value: UInt64 {
        get { exit.pointee.data }
        nonmutating set { exit.pointee.data = newValue }
    }

    /// Makes the guest's instruction raise #GP instead of completing.
    public func injectGeneralProtection() {
        exit.pointee.error = 1
    }
}

/// Why KVM_RUN returned. The payloads borrow the kvm_run area: handling an exit
/// copies nothing and allocates nothing.
public enum VCPUExit {
    /// Port I/O (KVM_EXIT_IO).
    case io(IOExit)
    /// Memory-mapped I/O to an address with no memory slot (KVM_EXIT_MMIO).
    case mmio(MMIOExit)
    /// RDMSR or WRMSR of a filtered MSR (KVM_EXIT_X86_RDMSR / KVM_EXIT_X86_WRMSR).
    case msr(MSRExit)
    /// HLT, when KVM has no in-kernel irqchip to wait on (KVM_EXIT_HLT).
    case halt
    /// Triple fault or another shutdown condition (KVM_EXIT_SHUTDOWN).
    case shutdown
    /// A PSCI-like system event: shutdown, reset, crash (KVM_EXIT_SYSTEM_EVENT).
    case systemEvent(type: UInt32)
    /// KVM could not handle something, e.g. an instruction its emulator lacks
    /// (KVM_EXIT_INTERNAL_ERROR). `data` holds `count` extra words.
    case internalError(suberror: UInt32, count: Int, data: UnsafePointer<UInt64>)
    /// VM entry failed; the hardware reason (KVM_EXIT_FAIL_ENTRY).
    case failEntry(hardwareReason: UInt64, cpu: UInt32)
    /// An exit reason the hardware reported that KVM did not know (KVM_EXIT_UNKNOWN).
    case unknown(hardwareReason: UInt64)
    /// A guest exception KVM passed up (KVM_EXIT_EXCEPTION).
    case exception(vector: UInt32, errorCode: UInt32)
    /// A hypercall passed to user space (KVM_EXIT_HYPERCALL).
    case hypercall
    /// A debug exit (KVM_EXIT_DEBUG).
    case debug
    /// The guest's interrupt window opened (KVM_EXIT_IRQ_WINDOW_OPEN).
    case interruptWindowOpen
    /// KVM_RUN returned EINTR or EAGAIN (a signal, or immediate_exit was set), or
    /// KVM_EXIT_INTR.
    case interrupted
    /// KVM_RUN itself failed with this errno.
    case runFailed(errno: Int32)
    /// Any other exit reason, by number.
    case other(reason: UInt32)
}

/// KVM_SYSTEM_EVENT_* types.
public enum SystemEventType {
    public static let shutdown: UInt32 = 1
    public static let reset: UInt32 = 2
    public static let crash: UInt32 = 3
}
