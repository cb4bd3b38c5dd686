import API
import Synchronization

struct FakeDriverError: Error, CustomStringConvertible {
    var description: String
}

/// A `MachineDriver` that records each call, and fails the operations it is told to.
final class FakeDriver: MachineDriver {
    let calls = Mutex<[String]>([])
    let failing = Mutex<Set<String>>([])
    let restored = Mutex(VMResources())

    var recorded: [String] { calls.withLock { $0 } }

    func fail(_ operation: String) { failing.withLock { _ = $0.insert(operation) } }

    private func record(_ call: String, _ operation: String) throws {
        calls.withLock { $0.append(call) }
        if failing.withLock({ $0.contains(operation) }) {
            throw FakeDriverError(description: "fake \(operation) failure")
        }
    }

    func start(_ resources: VMResources) throws {
        try record("start \(resources.bootSource?.kernelImagePath ?? "-") drives=\(resources.drives.count)", "start")
    }
    func pause() throws { try record("pause", "pause") }
    func resume() throws { try record("resume", "resume") }
    func sendCtrlAltDel() throws { try record("ctrlaltdel", "ctrlaltdel") }
    func flushMetrics() throws { try record("flush", "flush") }
    func createSnapshot(_ parameters: SnapshotCreateParams) throws {
        try record("snapshot \(parameters.snapshotPath) \(parameters.memFilePath)", "snapshot")
    }
    func loadSnapshot(_ parameters: SnapshotLoadParams) throws -> VMResources {
        try record("load \(parameters.snapshotPath) \(parameters.memoryFilePath ?? "-")", "load")
        return restored.withLock { $0 }
    }
    func updateDrive(_ update: PartialDrive) throws {
        try record("update \(update.driveID) \(update.pathOnHost ?? "-")", "update")
    }
    func configureLogger(_ logger: LoggerConfig) throws { try record("logger \(logger.logPath ?? "-")", "logger") }
    func configureMetrics(_ metrics: MetricsConfig) throws { try record("metrics \(metrics.metricsPath)", "metrics") }
}
