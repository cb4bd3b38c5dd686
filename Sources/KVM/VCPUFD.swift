import CKVM
import CPUModel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A KVM virtual CPU: its file descriptor and its mapped `kvm_run` area.
///
/// `run()` must be called from one thread only (the vCPU's own); the other
/// methods are for setup, for that thread, or for a stopped vCPU. `requestImmediateExit`
/// is the one call meant for other threads.
public final class VCPUFD: @unchecked Sendable {
    public let id: Int
    public let descriptor: FileDescriptor
    /// The VM, kept alive as long as its vCPU.
    public let vm: VMFD
    private let fd: Int32
    private let run: UnsafeMutablePointer<kvm_run>
    private let runBytes: UnsafeMutableRawPointer
    private let runAreaSize: Int

    init(id: Int, descriptor: FileDescriptor, runArea: UnsafeMutableRawPointer, runAreaSize: Int, vm: VMFD) {
        self.id = id
        self.descriptor = descriptor
        self.fd = descriptor.rawValue
        self.runBytes = runArea
        self.run = runArea.bindMemory(to: kvm_run.self, capacity: 1)
        self.runAreaSize = runAreaSize
        self.vm = vm
    }

    deinit {
        munmap(runBytes, runAreaSize)
        try? descriptor.close()
    }

    /// Enters the guest (KVM_RUN) and returns why it came back.
    @inline(__always)
    public func runOnce() -> VCPUExit {
        if ckvm_ioctl(fd, CKVM_RUN, 0) < 0 {
            let code = errno
            if code == EINTR || code == EAGAIN { return .interrupted }
            return .runFailed(errno: code)
        }
        return decodeExit()
    }

    @inline(__always)
    private func decodeExit() -> VCPUExit {
        switch Int32(bitPattern: run.pointee.exit_reason) {
        case KVM_EXIT_IO:
            let io = ckvm_run_io(run).unsafelyUnwrapped
            return .io(IOExit(port: io.pointee.port, isWrite: io.pointee.direction == UInt8(KVM_EXIT_IO_OUT),
                              size: Int(io.pointee.size), count: Int(io.pointee.count),
                              data: runBytes + Int(io.pointee.data_offset)))
        case KVM_EXIT_MMIO:
            let mmio = ckvm_run_mmio(run).unsafelyUnwrapped
            return .mmio(MMIOExit(address: mmio.pointee.phys_addr, isWrite: mmio.pointee.is_write != 0,
                                  length: Int(mmio.pointee.len),
                                  data: UnsafeMutableRawPointer(ckvm_run_mmio_data(run).unsafelyUnwrapped)))
        case KVM_EXIT_X86_RDMSR, KVM_EXIT_X86_WRMSR:
            return .msr(MSRExit(exit: ckvm_run_msr(run).unsafelyUnwrapped,
                                isWrite: run.pointee.exit_reason == UInt32(KVM_EXIT_X86_WRMSR)))
        case KVM_EXIT_HLT:
            return .halt
        case KVM_EXIT_SHUTDOWN:
            return .shutdown
        case KVM_EXIT_INTR:
            return .interrupted
        case KVM_EXIT_SYSTEM_EVENT:
            return .systemEvent(type: ckvm_run_system_event(run).unsafelyUnwrapped.pointee.type)
        case KVM_EXIT_INTERNAL_ERROR:
            let internalError = ckvm_run_internal(run).unsafelyUnwrapped
            let count = min(Int(internalError.pointee.ndata), 16)
            let data = UnsafeRawPointer(internalError).advanced(by: 8).assumingMemoryBound(to: UInt64.self)
            return .internalError(suberror: internalError.pointee.suberror, count: count, data: data)
        case KVM_EXIT_FAIL_ENTRY:
            let failure = ckvm_run_fail_entry(run).unsafelyUnwrapped
            return .failEntry(hardwareReason: failure.pointee.hardware_entry_failure_reason,
                              cpu: failure.pointee.cpu)
        case KVM_EXIT_UNKNOWN:
            return .unknown(hardwareReason: ckvm_run_unknown(run).unsafelyUnwrapped.pointee.hardware_exit_reason)
        case KVM_EXIT_EXCEPTION:
            let ex = ckvm_run_exception(run).unsafelyUnwrapped
            return .exception(vector: ex.pointee.exception, errorCode: ex.pointee.error_code)
        case KVM_EXIT_HYPERCALL:
            return .hypercall
        case KVM_EXIT_DEBUG:
            return .debug
        case KVM_EXIT_IRQ_WINDOW_OPEN:
            return .interruptWindowOpen
        default:
            return .other(reason: run.pointee.exit_reason)
        }
    }

    /// The coalesced MMIO ring KVM shares through this vCPU's mapping, or nil when
    /// KVM has none (the ring is per VM: every vCPU maps the same page).
    public func coalescedRing() -> CoalescedRing? {
        let pageOffset = Int(vm.system.check(.coalescedMMIO))
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard pageOffset > 0, (pageOffset + 1) * pageSize <= runAreaSize else { return nil }
        return CoalescedRing(page: runBytes + pageOffset * pageSize, pageSize: pageSize, owner: self)
    }

    /// Sets or clears `immediate_exit`: while set, KVM_RUN returns EINTR at once
    /// instead of entering the guest. Safe to call from any thread.
    public func requestImmediateExit(_ value: Bool) {
        ckvm_set_immediate_exit(run, value ? 1 : 0)
    }

    public func registers() throws(KVMError) -> Registers {
        var raw = kvm_regs()
        _ = try kvmIoctl(fd, CKVM_GET_REGS, value: &raw, "KVM_GET_REGS")
        return Registers(raw)
    }

    public func setRegisters(_ registers: Registers) throws(KVMError) {
        var raw = registers.raw
        _ = try kvmIoctl(fd, CKVM_SET_REGS, value: &raw, "KVM_SET_REGS")
    }

    public func specialRegisters() throws(KVMError) -> SpecialRegisters {
        var raw = kvm_sregs()
        _ = try kvmIoctl(fd, CKVM_GET_SREGS, value: &raw, "KVM_GET_SREGS")
        return SpecialRegisters(raw: raw)
    }

    public func setSpecialRegisters(_ registers: SpecialRegisters) throws(KVMError) {
        var raw = registers.raw
        _ = try kvmIoctl(fd, CKVM_SET_SREGS, value: &raw, "KVM_SET_SREGS")
    }

    /// KVM_SET_CPUID2: what CPUID returns in this vCPU.
    public func setCPUID(_ table: CPUIDTable) throws(KVMError) {
        let buffer = CPUIDBuffer(table: table)
        defer { buffer.deallocate() }
        _ = try kvmIoctl(fd, CKVM_SET_CPUID2, pointer: buffer.raw, "KVM_SET_CPUID2")
    }

    /// KVM_TRANSLATE: the guest physical address a linear address maps to under the
    /// vCPU's current paging, or nil when it is not mapped.
    public func translate(linearAddress: UInt64) throws(KVMError) -> UInt64? {
        var request = kvm_translation()
        request.linear_address = linearAddress
        _ = try kvmIoctl(fd, CKVM_TRANSLATE, value: &request, "KVM_TRANSLATE")
        return request.valid != 0 ? request.physical_address : nil
    }

    /// KVM_GET_STATS_FD: KVM's own per-vCPU counters (exits handled in the kernel,
    /// instructions emulated, halts, ...).
    public func statistics() throws(KVMError) -> KVMStatistics {
        let statsFD = try kvmIoctl(fd, CKVM_GET_STATS_FD, 0, "KVM_GET_STATS_FD")
        return try KVMStatistics(descriptor: FileDescriptor(rawValue: statsFD))
    }
}
