import Devices
import KVM
import Memory

/// The exit loop of one vCPU: enter the guest, handle why it came back, repeat.
///
/// In steady state it allocates nothing, takes no lock and logs nothing: the
/// buses are frozen arrays, statistics live in preallocated memory, and the only
/// shared state it reads is one atomic control word. Everything that ends the VM
/// leaves the loop with a `StopReason`.
final class VCPULoop: @unchecked Sendable {
    let vcpu: VCPUFD
    let ports: IOBus
    let mmio: IOBus
    let statistics: VCPUStatistics
    let control: VCPUControl
    let memory: GuestMemory
    let strictIO: Bool
    /// The coalesced MMIO/PIO ring, when the machine registered coalesced zones.
    let coalesced: CoalescedRing?
    /// The record of individual exits, with `--trace` (nil: tracing costs one test).
    let trace: ExitTrace?
    /// Answers filtered RDMSR/WRMSR (nil: no MSR policy, no such exits).
    let msrHandler: MSRHandler?

    init(vcpu: VCPUFD, ports: IOBus, mmio: IOBus, statistics: VCPUStatistics, control: VCPUControl,
         memory: GuestMemory, strictIO: Bool, coalesced: CoalescedRing? = nil, trace: ExitTrace? = nil,
         msrHandler: MSRHandler? = nil) {
        self.vcpu = vcpu
        self.ports = ports
        self.mmio = mmio
        self.statistics = statistics
        self.control = control
        self.memory = memory
        self.strictIO = strictIO
        self.coalesced = coalesced
        self.trace = trace
        self.msrHandler = msrHandler
    }

    /// Runs until the VM ends for this vCPU.
    func run() -> StopReason {
        var pending: ExitReason? = nil  // the exit whose handling time is still being measured
        var detail: UInt64 = 0  // its port or MMIO address, when tracing
        var returnedAt: UInt64 = 0
        while true {
            if control.request.load(ordering: .relaxed) != VCPUControl.Request.run.rawValue {
                if let stop = obeyControlRequest() {
                    if let reason = pending { finish(reason, returnedAt: returnedAt, detail: detail) }
                    return stop
                }
            }
            if let reason = pending { finish(reason, returnedAt: returnedAt, detail: detail) }
            let exit = vcpu.runOnce()
            returnedAt = monotonicNanoseconds()
            // Writes KVM held back happened before this exit: deliver them first.
            if let ring = coalesced { replayCoalesced(ring) }
            let reason = Self.reason(of: exit)
            statistics.count(reason)
            pending = reason
            if trace != nil { detail = Self.detail(of: exit) }
            if let stop = handle(exit) {
                finish(reason, returnedAt: returnedAt, detail: detail)
                return stop
            }
        }
    }

    /// Accounts for the user-space time of one exit, now that it is handled.
    @inline(__always)
    private func finish(_ reason: ExitReason, returnedAt: UInt64, detail: UInt64) {
        let now = monotonicNanoseconds()
        statistics.recordHandlingTime(reason, nanoseconds: now &- returnedAt)
        trace?.record(reason, returnedAt: returnedAt, enteredAt: now, detail: detail)
    }

    /// The port or MMIO address of an I/O exit (0 for other exits), for the trace.
    @inline(__always)
    static func detail(of exit: VCPUExit) -> UInt64 {
        switch exit {
        case .io(let io): return UInt64(io.port)
        case .mmio(let access): return access.address
        case .msr(let access): return UInt64(access.index)
        default: return 0
        }
    }

    @inline(__always)
    static func reason(of exit: VCPUExit) -> ExitReason {
        switch exit {
        case .io(let io): return io.isWrite ? .ioOut : .ioIn
        case .mmio(let access): return access.isWrite ? .mmioWrite : .mmioRead
        case .msr(let access): return access.isWrite ? .msrWrite : .msrRead
        case .halt: return .halt
        case .shutdown: return .shutdown
        case .systemEvent: return .systemEvent
        case .internalError: return .internalError
        case .failEntry: return .failEntry
        case .interrupted, .runFailed: return .interrupted
        case .exception: return .exception
        case .hypercall: return .hypercall
        case .debug: return .debug
        case .interruptWindowOpen: return .interruptWindow
        case .unknown: return .unknown
        case .other: return .other
        }
    }

    /// Handles one exit; returns a reason when the VM must end.
    @inline(__always)
    private func handle(_ exit: VCPUExit) -> StopReason? {
        switch exit {
        case .io(let io):
            return handlePortIO(io)
        case .mmio(let access):
            return handleMMIO(access)
        case .msr(let access):
            if access.isWrite { statistics.msrWrites.increment(UInt64(access.index)) } else {
                statistics.msrReads.increment(UInt64(access.index))
            }
            if let msrHandler { msrHandler.handle(access) } else { access.injectGeneralProtection() }
            return nil
        case .interrupted:
            // A kick: clear immediate_exit; the control word is checked at the top.
            vcpu.requestImmediateExit(false)
            return nil
        case .halt:
            return .halted(vcpu: vcpu.id)
        case .shutdown:
            return .tripleFault(vcpu: vcpu.id)
        case .systemEvent(let type):
            switch type {
            case SystemEventType.shutdown: return .powerOff(vcpu: vcpu.id)
            case SystemEventType.reset: return .reset(vcpu: vcpu.id)
            case SystemEventType.crash: return .crash(vcpu: vcpu.id)
            default: return .unhandledExit(vcpu: vcpu.id, detail: "system event type \(type)")
            }
        case .internalError(let suberror, let count, let data):
            return internalError(suberror: suberror, data: Array(UnsafeBufferPointer(start: data, count: count)))
        case .failEntry(let reason, _):
            return .failEntry(vcpu: vcpu.id, hardwareReason: reason)
        case .runFailed(let errno):
            return .runFailed(vcpu: vcpu.id, errno: errno)
        case .unknown(let hardwareReason):
            return .unhandledExit(vcpu: vcpu.id,
                                  detail: "KVM_EXIT_UNKNOWN, hardware reason 0x\(String(hardwareReason, radix: 16))")
        case .exception(let vector, let errorCode):
            return .unhandledExit(vcpu: vcpu.id, detail: "exception \(vector), error code \(errorCode)")
        case .hypercall:
            return .unhandledExit(vcpu: vcpu.id, detail: "KVM_EXIT_HYPERCALL")
        case .debug:
            return .unhandledExit(vcpu: vcpu.id, detail: "KVM_EXIT_DEBUG")
        case .interruptWindowOpen:
            return nil
        case .other(let reason):
            return .unhandledExit(vcpu: vcpu.id, detail: "exit reason \(reason)")
        }
    }

    @inline(__always)
    private func handlePortIO(_ io: IOExit) -> StopReason? {
        statistics.countPort(io.port)
        guard let (device, offset) = ports.find(UInt64(io.port)) else {
            statistics.countUnassignedPort(io.port)
            if strictIO {
                return .unassignedAccess(vcpu: vcpu.id, detail: "\(io.isWrite ? "write to" : "read from") "
                    + "unassigned port 0x\(String(io.port, radix: 16))")
            }
            if !io.isWrite { io.data.initializeMemory(as: UInt8.self, repeating: 0xFF, count: io.size * io.count) }
            return nil
        }
        var item = io.data
        for _ in 0..<io.count {
            if io.isWrite {
                let action = device.write(offset: offset, data: UnsafeRawBufferPointer(start: item, count: io.size))
                if action != .none { return stop(for: action) }
            } else {
                device.read(offset: offset, data: UnsafeMutableRawBufferPointer(start: item, count: io.size))
            }
            item += io.size
        }
        return nil
    }

    @inline(__always)
    private func handleMMIO(_ access: MMIOExit) -> StopReason? {
        statistics.mmioPages.increment(access.address >> 12)
        let length = min(access.length, 8)
        guard let (device, offset) = mmio.find(access.address) else {
            statistics.unassignedMMIO.increment(access.address)
            if strictIO {
                return .unassignedAccess(vcpu: vcpu.id, detail: "\(access.isWrite ? "write to" : "read from") "
                    + "unassigned MMIO address 0x\(String(access.address, radix: 16))")
            }
            if !access.isWrite { access.data.initializeMemory(as: UInt8.self, repeating: 0xFF, count: length) }
            return nil
        }
        if access.isWrite {
            let action = device.write(offset: offset, data: UnsafeRawBufferPointer(start: access.data, count: length))
            if action != .none { return stop(for: action) }
        } else {
            device.read(offset: offset, data: UnsafeMutableRawBufferPointer(start: access.data, count: length))
        }
        return nil
    }

    /// Delivers the writes queued in the coalesced ring to their devices, in order.
    /// A device's request to end the VM from such a write is ignored: the guest did
    /// not wait for it, and the exit being handled decides what happens next.
    func replayCoalesced(_ ring: CoalescedRing) {
        ring.drain { write in
            if write.isPort {
                statistics.coalescedWrites.increment(write.address)
                if let (device, offset) = ports.find(write.address) { _ = device.write(offset: offset, data: write.data) }
            } else {
                statistics.coalescedWrites.increment(write.address & ~0xFFF)
                if let (device, offset) = mmio.find(write.address) { _ = device.write(offset: offset, data: write.data) }
            }
        }
    }

    private func stop(for action: BusAction) -> StopReason? {
        switch action {
        case .none: return nil
        case .exit(let status): return .debugExit(status: status)
        case .shutdown: return .powerOff(vcpu: vcpu.id)
        case .reset: return .reset(vcpu: vcpu.id)
        }
    }

    /// Builds the report of an internal error: RIP and the instruction bytes there.
    private func internalError(suberror: UInt32, data: [UInt64]) -> StopReason {
        let registers = try? vcpu.registers()
        let special = try? vcpu.specialRegisters()
        var bytes: [UInt8] = []
        if let rip = registers?.rip {
            let linear = (special?.cs.base ?? 0) &+ rip
            let physical = (try? vcpu.translate(linearAddress: linear)) ?? nil
            if let physical {
                // Up to 15 bytes (the longest x86 instruction), as many as are in RAM.
                for length in stride(from: 15, through: 1, by: -1) {
                    if let read = try? memory.read(at: GuestAddress(physical), count: length) {
                        bytes = read
                        break
                    }
                }
            }
        }
        return .internalError(vcpu: vcpu.id, suberror: suberror, rip: registers?.rip, instruction: bytes, data: data)
    }

    /// Whether this vCPU could still wake up: its MP state and, when halted, RFLAGS.IF.
    private func inspectIdleState() -> IdleVerdict {
        guard let state = try? vcpu.mpState() else { return .live }
        switch state {
        case .uninitialized, .initReceived:
            return .waitingForStartup
        case .halted:
            guard let flags = try? vcpu.registers().rflags else { return .live }
            return flags & (1 << 9) == 0 ? .haltedInterruptsOff : .live
        default:
            return .live
        }
    }

    /// Pauses or stops as the control plane asked; returns a reason when stopping.
    private func obeyControlRequest() -> StopReason? {
        while true {
            switch VCPUControl.Request(rawValue: control.request.load(ordering: .acquiring)) {
            case .run:
                control.setState(.running)
                return nil
            case .pause:
                control.setState(.paused)
                control.parked.signal()
                control.wake.wait()
            case .complete:
                vcpu.completePendingExit()
                _ = control.request.compareExchange(expected: VCPUControl.Request.complete.rawValue,
                                                    desired: VCPUControl.Request.pause.rawValue,
                                                    ordering: .acquiringAndReleasing)
            case .inspect:
                control.verdict.store(inspectIdleState().rawValue, ordering: .releasing)
                _ = control.request.compareExchange(expected: VCPUControl.Request.inspect.rawValue,
                                                    desired: VCPUControl.Request.run.rawValue,
                                                    ordering: .acquiringAndReleasing)
            case .stop, .none:
                return .stopRequested
            }
        }
    }
}
