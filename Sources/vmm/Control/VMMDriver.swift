import API
import Devices
import Dispatch
import Logging
import Synchronization
import VMM

/// The API's view of one virtual machine: `VirtualMachine` built on InstanceStart,
/// or restored by `PUT /snapshot/load`. Each call comes from the API's worker
/// thread, one at a time; the VM ending is reported through `ended` from a
/// thread of its own.
final class VMMDriver: MachineDriver {
    private let logger = Logger(label: "swift-vmm.vm")

    /// What the process supplies that the API does not: where the guest's serial
    /// port goes, and what to do when the VM ends.
    struct Host: Sendable {
        var serialOutput: any SerialOutput = FileSerialOutput.standardOutput
        var serialInput: SerialInput = .none
        /// Called once, when the VM has ended (the process then exits).
        var ended: @Sendable (VirtualMachine, StopReason) -> Void
        /// Fills in what the CLI decides for every VM (tracing, strict I/O...).
        var adjust: @Sendable (inout MachineConfiguration) -> Void = { _ in }
    }

    private enum Phase {
        case empty
        /// Restored from a snapshot and not yet started: "Paused" to the API.
        case restored(VirtualMachine)
        case running(VirtualMachine)
    }

    private let host: Host
    private let phase = Mutex<Phase>(.empty)
    private let metrics = Mutex<MetricsWriter?>(nil)
    /// The API's drive IDs in the machine's disk order (the root device first).
    private let driveIDs = Mutex<[String]>([])
    /// The API's request counters, for the metrics lines.
    let apiCounters: @Sendable () -> MetricsWriter.Counters

    init(host: Host, apiCounters: @escaping @Sendable () -> MetricsWriter.Counters = { [:] }) {
        self.host = host
        self.apiCounters = apiCounters
    }

    /// The VM, once there is one.
    var machine: VirtualMachine? {
        phase.withLock { phase in
            switch phase {
            case .empty: return nil
            case .restored(let machine), .running(let machine): return machine
            }
        }
    }

    /// The VM once its vCPUs were started (nil before, and for a restored VM not yet resumed).
    var runningMachine: VirtualMachine? {
        phase.withLock { phase in
            if case .running(let machine) = phase { return machine }
            return nil
        }
    }

    func start(_ resources: VMResources) throws {
        var configuration = try resources.machineConfiguration()
        configuration.serialOutput = host.serialOutput
        configuration.serialInput = host.serialInput
        host.adjust(&configuration)
        let kernel = resources.bootSource?.kernelImagePath ?? "?"
        logger.info("InstanceStart: booting \(kernel) with \(configuration.vcpuCount) vCPU(s), \(configuration.memorySize >> 20) MiB")
        let machine = try VirtualMachine(configuration: configuration)
        driveIDs.withLock { $0 = resources.drives.map(\.driveID) }
        try run(machine)
    }

    func pause() throws {
        if case .running(let machine) = phase.withLock({ $0 }) { try machine.pause() }
    }

    func resume() throws {
        switch phase.withLock({ $0 }) {
        case .restored(let machine): try run(machine)
        case .running(let machine): machine.resume()
        case .empty: throw VMMError.invalidState(operation: "resume", state: "not started")
        }
    }

    func sendCtrlAltDel() throws {
        guard case .running(let machine) = phase.withLock({ $0 }) else {
            throw VMMError.invalidState(operation: "send Ctrl+Alt+Del", state: "not running")
        }
        try machine.sendCtrlAltDel()
    }

    func flushMetrics() throws {
        guard let writer = metrics.withLock({ $0 }) else {
            throw VMMError.invalidConfiguration(option: "/metrics", reason: "no metrics file: PUT /metrics first")
        }
        _ = writer.flush(exitCounts(), apiServer: apiCounters())
    }

    func createSnapshot(_ parameters: SnapshotCreateParams) throws {
        guard let machine else { throw VMMError.invalidState(operation: "create a snapshot", state: "not started") }
        try machine.createSnapshot(statePath: parameters.snapshotPath, memoryPath: parameters.memFilePath,
                                   kind: parameters.snapshotType == .diff ? .diff : .full)
    }

    func loadSnapshot(_ parameters: SnapshotLoadParams) throws -> VMResources {
        guard case .empty = phase.withLock({ $0 }) else {
            throw VMMError.invalidState(operation: "load a snapshot", state: "already built")
        }
        let memoryPath: String
        if let backend = parameters.memBackend {
            guard backend.backendType == .file else {
                throw VMMError.invalidConfiguration(option: "mem_backend",
                                                    reason: "backend_type \(backend.backendType.rawValue) is not "
                                                        + "supported (only File)")
            }
            memoryPath = backend.backendPath
        } else if let path = parameters.memFilePath {
            memoryPath = path
        } else {
            throw VMMError.invalidConfiguration(option: "/snapshot/load", reason: "give mem_backend or mem_file_path")
        }
        var configuration = try VirtualMachine.snapshotConfiguration(statePath: parameters.snapshotPath)
        configuration.serialOutput = host.serialOutput
        configuration.serialInput = host.serialInput
        if parameters.trackDirtyPages == true || parameters.enableDiffSnapshots == true {
            configuration.trackDirtyPages = true
        }
        host.adjust(&configuration)
        let machine = try VirtualMachine(configuration: configuration, restoringFrom: parameters.snapshotPath,
                                         memoryPath: memoryPath)
        logger.info("restored the snapshot \(parameters.snapshotPath) (memory \(memoryPath))")
        phase.withLock { $0 = .restored(machine) }
        let resources = VMResources(restored: configuration)
        driveIDs.withLock { $0 = resources.drives.map(\.driveID) }
        if parameters.resumeVM == true { try run(machine) }
        return resources
    }

    /// `PATCH /drives/{id}`: a new backing file for a running (or paused) guest's disk.
    func updateDrive(_ update: PartialDrive) throws {
        guard let machine else { throw VMMError.invalidState(operation: "update a drive", state: "not started") }
        guard let path = update.pathOnHost else { return }
        guard let index = driveIDs.withLock({ $0.firstIndex(of: update.driveID) }) else {
            throw VMMError.invalidConfiguration(option: "drive \(update.driveID)", reason: "no such drive")
        }
        try machine.updateDrive(index: index, path: path)
    }

    func configureLogger(_ logger: LoggerConfig) throws {
        var configuration = LoggerConfiguration(logPath: logger.logPath, showLevel: logger.showLevel,
                                                showLogOrigin: logger.showLogOrigin, module: logger.module)
        if let level = logger.level { configuration.level = try LogLevelFilter(parsing: level) }
        try LogSink.shared.configure(configuration)
    }

    func configureMetrics(_ metrics: MetricsConfig) throws {
        let writer = try MetricsWriter(path: metrics.metricsPath)
        try writer.startPeriodicFlush(every: 60, take: { [weak self] in self?.exitCounts() ?? Self.noExits() },
                                      apiServer: apiCounters)
        self.metrics.withLock { $0 = writer }
    }

    /// The last metrics line, when the VM has ended.
    func finishMetrics() {
        guard let writer = metrics.withLock({ $0 }) else { return }
        writer.stopPeriodicFlush()
    }

    private func exitCounts() -> ExitSnapshot { machine?.exitCounts() ?? Self.noExits() }

    private static func noExits() -> ExitSnapshot {
        ExitSnapshot(time: 0, exits: [], kernelExits: [])
    }

    /// Starts `machine` and reports its end through `host.ended`.
    private func run(_ machine: VirtualMachine) throws {
        try machine.start()
        phase.withLock { $0 = .running(machine) }
        let ended = host.ended, logger = self.logger
        DispatchQueue(label: "swift-vmm.vm-waiter").async {
            let reason = machine.wait()
            logger.info("the VM ended: \(reason.summary)")
            ended(machine, reason)
        }
    }
}
