import Dispatch
import KVM
import Loader
import Memory
import Seccomp
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A virtual machine: built from a `MachineConfiguration`, run on one thread per
/// vCPU, stopped by the guest or by the host, and accounted for exit by exit.
///
/// ```swift
/// var configuration = MachineConfiguration()
/// configuration.kernel = .file(path: "guest.elf")
/// let machine = try VirtualMachine(configuration: configuration)
/// try machine.start()
/// let reason = machine.wait(timeout: 10)
/// print(reason.summary, machine.report().totalExits)
/// ```
public final class VirtualMachine: @unchecked Sendable {
    public let configuration: MachineConfiguration
    /// How the boot vCPU was started (format, mode, entry point, structures).
    public let bootPlan: BootPlan
    public let memory: GuestMemory

    let machine: BuiltMachine
    let loops: [VCPULoop]
    let controls: [VCPUControl]
    private let statistics: [VCPUStatistics]
    private let kvmStatistics: [KVMStatistics?]
    private let threads = Mutex<[VCPUThread]>([])
    private let firstStop = Mutex<StopReason?>(nil)
    private let running = DispatchGroup()
    let started = Atomic<Bool>(false)
    private let timing = Mutex<(start: UInt64, end: UInt64)>((0, 0))
    /// KVM statistics readers for the halt monitor (the report's are read elsewhere).
    private let monitorStatistics: [KVMStatistics?]
    private let haltMonitor = Mutex<HaltMonitor?>(nil)
    private let inputPump = Mutex<SerialInputPump?>(nil)
    private let samplers = Mutex<[ExitSampler]>([])
    private let kernelExitCounters: [KVMStatistics.Counter?]
    /// Each vCPU's record of individual exits (empty unless `traceCapacity` is set).
    public let exitTraces: [ExitTrace]
    /// `configuration.drives` with the paths `updateDrive` set since; what a
    /// snapshot records (see VirtualMachine+Drives.swift).
    let currentDrives: Mutex<[DriveConfiguration]>

    /// Builds the VM: opens KVM, allocates memory, loads the kernel, creates vCPUs.
    public convenience init(configuration: MachineConfiguration) throws(VMMError) {
        try self.init(configuration: configuration, machine: MachineBuilder.build(configuration))
    }

    /// Wraps a built machine (booted from a kernel, or to be restored from a snapshot).
    init(configuration: MachineConfiguration, machine: BuiltMachine) throws(VMMError) {
        self.configuration = configuration
        self.currentDrives = Mutex(configuration.drives)
        self.machine = machine
        self.bootPlan = machine.plan
        self.memory = machine.memory
        var loops: [VCPULoop] = []
        var controls: [VCPUControl] = []
        var statistics: [VCPUStatistics] = []
        let traces = configuration.traceCapacity.map { capacity in
            machine.vcpus.map { _ in ExitTrace(capacity: capacity) }
        } ?? []
        for (index, vcpu) in machine.vcpus.enumerated() {
            let control = VCPUControl()
            let stats = try VCPUStatistics()
            loops.append(VCPULoop(vcpu: vcpu, ports: machine.ports, mmio: machine.mmio, statistics: stats,
                                  control: control, memory: machine.memory, strictIO: configuration.strictIO,
                                  coalesced: machine.coalesced, trace: traces.isEmpty ? nil : traces[index],
                                  msrHandler: configuration.msrRules.isEmpty ? nil
                                      : MSRHandler(rules: configuration.msrRules)))
            controls.append(control)
            statistics.append(stats)
        }
        self.exitTraces = traces
        self.loops = loops
        self.controls = controls
        self.statistics = statistics
        self.kvmStatistics = Self.openStatistics(machine)
        self.kernelExitCounters = kvmStatistics.map { $0?.counter(named: "exits") }
        // The monitor's own readers: the report's are read on other threads.
        self.monitorStatistics = Self.openStatistics(machine)
    }

    /// The exit counts so far; safe from any thread while the VM runs.
    public func exitCounts() -> ExitSnapshot {
        ExitSnapshot(
            time: monotonicNanoseconds(),
            exits: statistics.map { stats in ExitReason.allCases.map { stats.exits($0) } },
            kernelExits: zip(kvmStatistics, kernelExitCounters).map { reader, counter in
                counter.flatMap { reader?.value($0) }
            })
    }

    /// Hands a snapshot to `observe` every `interval` seconds on a helper thread
    /// until the VM ends, and a last one then (e.g. a live view, metrics).
    public func sample(every interval: Double, _ observe: @escaping @Sendable (ExitSnapshot) -> Void)
        throws(VMMError)
    {
        let sampler = try ExitSampler(interval: interval, take: { [weak self] in
            self?.exitCounts() ?? ExitSnapshot(time: monotonicNanoseconds(), exits: [], kernelExits: [])
        }, observe: observe)
        try sampler.start(filter: try threadFilter(.io))
        samplers.withLock { $0.append(sampler) }
    }

    /// Monotonic nanoseconds when the vCPUs were started (0 before `start`).
    public var startTime: UInt64 { timing.withLock { $0.start } }

    /// Writes the exit traces as Chrome trace-event JSON (after `wait`), within the
    /// configuration's `limits.traceBytes`. Returns the events left out to keep to it.
    @discardableResult
    public func writeTrace(to path: String) throws(VMMError) -> Int {
        guard !exitTraces.isEmpty else {
            throw .invalidState(operation: "writeTrace", state: "tracing was not enabled (traceCapacity)")
        }
        return try ExitTraceWriter.write(exitTraces, origin: startTime, to: path,
                                         maximumBytes: configuration.limits.traceBytes)
    }

    /// One reader of KVM's per-vCPU statistics per vCPU (nil where the kernel has none).
    private static func openStatistics(_ machine: BuiltMachine) -> [KVMStatistics?] {
        let available = machine.system.check(.binaryStatsFD) > 0
        return machine.vcpus.map { vcpu in available ? try? vcpu.statistics() : nil }
    }

    /// The devices on the port I/O bus: (name, base, size).
    public var portDevices: [(name: String, base: UInt64, size: UInt64)] {
        machine.ports.entries.map { ($0.name, $0.base, $0.size) }
    }

    /// Starts every vCPU on its own thread.
    public func start() throws(VMMError) {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else {
            throw .invalidState(operation: "start", state: "already started")
        }
        do { try KickSignal.install() } catch { throw .kvm(error) }
        let monitor = HaltMonitor(controls: controls, statistics: monitorStatistics,
                                  kick: { [weak self] index in self?.kick(index) },
                                  stop: { [weak self] reason in self?.requestStop(reason) })
        haltMonitor.withLock { $0 = monitor }
        let ioFilter = try threadFilter(.io)
        let vcpuFilter = try threadFilter(.vcpu)
        if !machine.ioThread.isEmpty { try machine.ioThread.start(filter: ioFilter) }
        if case .descriptor(let fd) = configuration.serialInput {
            let accept: @Sendable (ArraySlice<UInt8>) -> Int
            if let console = machine.virtioConsole {
                accept = { bytes in console.receive(Array(bytes)) }
            } else {
                let serial = machine.serial
                accept = { bytes in serial.accept(bytes) }
            }
            let pump = try SerialInputPump(source: fd, accept: accept)
            try pump.start(filter: ioFilter)
            inputPump.withLock { $0 = pump }
        }
        timing.withLock { $0.start = monotonicNanoseconds() }
        for (index, loop) in loops.enumerated() {
            running.enter()
            let control = controls[index]
            control.setState(.running)
            let thread: VCPUThread
            do {
                thread = try VCPUThread.spawn(filter: vcpuFilter) { [self] in
                    let reason = loop.run()
                    control.setState(.stopped)
                    self.vcpuEnded(reason)
                    self.running.leave()
                }
            } catch {
                running.leave()
                control.setState(.stopped)
                requestStop(.stopRequested)
                throw error
            }
            threads.withLock { $0.append(thread) }
        }
        monitor.start()
    }

    /// The seccomp filter for a thread of `kind`, or nil when `configuration.seccomp` is off.
    func threadFilter(_ kind: ThreadKind) throws(VMMError) -> SeccompFilter? {
        guard let action = configuration.seccomp else { return nil }
        do { return try SeccompFilter(kind, action: action) } catch {
            throw .threadSetup("\(kind) seccomp filter: \(error)")
        }
    }

    /// Waits until every vCPU has stopped, or until `timeout` seconds have passed,
    /// in which case the VM is stopped with `StopReason.timeout`. Returns the
    /// reason the VM ended (the first one, if several vCPUs stopped on their own).
    @discardableResult
    public func wait(timeout: Double? = nil) -> StopReason {
        if let timeout {
            let nanoseconds = Int(min(max(timeout, 0), 1e9) * 1e9)
            if running.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut {
                requestStop(.timeout(seconds: timeout))
                running.wait()
            }
        } else {
            running.wait()
        }
        haltMonitor.withLock { $0?.cancel() }
        inputPump.withLock { $0?.stop() }
        for sampler in samplers.withLock({ $0 }) { sampler.stop() }
        machine.ioThread.stop()
        machine.vsock?.close()
        let joined = threads.withLock { threads in
            defer { threads.removeAll() }
            return threads
        }
        for thread in joined { thread.join() }
        // Writes still in the coalesced ring reach their devices before the report.
        if let ring = machine.coalesced, let loop = loops.first { loop.replayCoalesced(ring) }
        return firstStop.withLock { $0 } ?? .stopRequested
    }

    /// Asks every vCPU to stop, recording `reason` unless the VM already ended.
    /// Safe to call from any thread, including a signal-handling queue.
    public func requestStop(_ reason: StopReason) {
        firstStop.withLock { if $0 == nil { $0 = reason } }
        timing.withLock { if $0.end == 0 { $0.end = monotonicNanoseconds() } }
        for control in controls {
            control.request.store(VCPUControl.Request.stop.rawValue, ordering: .releasing)
            control.wake.signal()  // in case it is parked
        }
        kickAll()
    }

    /// Pauses every vCPU at an exit boundary and returns when all are parked.
    public func pause() throws(VMMError) {
        guard started.load(ordering: .acquiring) else { throw .invalidState(operation: "pause", state: "not started") }
        var asked: [VCPUControl] = []
        for (index, control) in controls.enumerated() where control.currentState == .running {
            while true {
                let (exchanged, found) = control.request.compareExchange(
                    expected: VCPUControl.Request.run.rawValue, desired: VCPUControl.Request.pause.rawValue,
                    ordering: .acquiringAndReleasing)
                if exchanged { asked.append(control) }
                // An inspection by the halt monitor ends at the vCPU's next exit:
                // kick it (it may be halted in the guest) and ask again.
                guard !exchanged, found == VCPUControl.Request.inspect.rawValue,
                      control.currentState == .running else { break }
                kick(index)
                usleep(100)
            }
        }
        kickAll()
        for control in asked {
            // A vCPU that stops instead of parking never signals: poll its state.
            while control.parked.wait(timeout: .now() + .milliseconds(10)) == .timedOut {
                if control.currentState == .stopped { break }
            }
        }
    }

    /// Lets paused vCPUs run again.
    public func resume() {
        for control in controls {
            if control.request.compareExchange(expected: VCPUControl.Request.pause.rawValue,
                                               desired: VCPUControl.Request.run.rawValue,
                                               ordering: .acquiringAndReleasing).exchanged {
                control.wake.signal()
            }
        }
    }

    /// Each vCPU's state.
    public var vcpuStates: [VCPUState] { controls.map(\.currentState) }

    /// The exit accounting of every vCPU (complete once `wait` has returned).
    public func report() -> ExitReport {
        let (start, end) = timing.withLock { $0 }
        let finish = end != 0 ? end : monotonicNanoseconds()
        return ExitReport(
            statistics: statistics,
            kvm: kvmStatistics.map { $0?.read() ?? [:] },
            wallNanoseconds: start == 0 ? 0 : finish &- start,
            stopReason: firstStop.withLock { $0 })
    }

    /// One vCPU ending ends the VM: its reason is kept if it is the first, and the
    /// other vCPUs are stopped.
    private func vcpuEnded(_ reason: StopReason) {
        requestStop(reason)
    }

    /// Kicks one vCPU out of KVM_RUN (it then reads its control word).
    private func kick(_ index: Int) {
        guard let thread = threads.withLock({ index < $0.count ? $0[index] : nil }) else { return }
        machine.vcpus[index].requestImmediateExit(true)
        thread.kick()
    }

    private func kickAll() {
        let current = threads.withLock { $0 }
        for (index, thread) in current.enumerated() {
            machine.vcpus[index].requestImmediateExit(true)
            thread.kick()
        }
    }
}
