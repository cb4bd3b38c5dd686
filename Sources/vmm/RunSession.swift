import Dispatch
import Seccomp
import FoundationEssentials
import Synchronization
import VMM

#if canImport(Glibc)
import Glibc
#endif

/// Runs one VM from the command line: build, start, wait, report, exit status.
struct RunSession {
    let options: RunOptions
    let showStats: Bool

    /// Returns the process exit status.
    func run(_ configuration: MachineConfiguration) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        guard installControlFilter(options.seccomp) else { return 2 }
        var configuration = configuration
        configuration.serialInput = .standardInputIfInteractive
        let deadline = options.timeout.map { monotonicSeconds() + $0 }
        let metrics = options.metricsFile.map { MetricsFile(path: $0) }
        var boot = 1
        while true {
            let machine: VirtualMachine
            do {
                machine = try VirtualMachine(configuration: configuration)
            } catch {
                printError("error: \(error)")
                return 2
            }
            let signalSources = handleSignals(machine)
            do {
                try machine.start()
                try observe(machine, metrics: metrics)
            } catch {
                signalSources.forEach { $0.cancel() }
                printError("error: \(error)")
                return 2
            }
            let remaining = deadline.map { max($0 - monotonicSeconds(), 0.001) }
            var reason = machine.wait(timeout: remaining)
            signalSources.forEach { $0.cancel() }
            if case .timeout = reason, let timeout = options.timeout { reason = .timeout(seconds: timeout) }
            if case .reset = reason, configuration.onReset == .restart {
                boot += 1
                printError("vmm: \(reason.summary); restarting (--on-reset restart), boot \(boot)")
                continue
            }
            printError("vmm: \(reason.summary)")
            if let path = options.trace {
                do {
                    let omitted = try machine.writeTrace(to: path)
                    if omitted > 0 { printError(Self.traceLimitWarning(omitted, configuration.limits)) }
                } catch {
                    printError("error: \(error)")
                    return reason.exitStatus == 0 ? 2 : reason.exitStatus
                }
            }
            return finish(machine, reason: reason)
        }
    }

    /// Starts the live view (`--stats-interval`) and the metrics file (`--metrics-file`).
    private func observe(_ machine: VirtualMachine, metrics: MetricsFile?) throws {
        if let interval = options.statsInterval {
            let start = machine.startTime
            let previous = Mutex(machine.exitCounts())
            try machine.sample(every: interval) { snapshot in
                let line = previous.withLock { before in
                    defer { before = snapshot }
                    return LiveExitView.line(from: before, to: snapshot, start: start)
                }
                printError(line)
            }
        }
        if let metrics {
            let exitMetrics = ExitMetrics()
            try machine.sample(every: 1) { snapshot in
                exitMetrics.publish(snapshot)
                metrics.write()
            }
        }
    }

    /// Prints or writes the exit report as asked; returns the exit status.
    private func finish(_ machine: VirtualMachine, reason: StopReason) -> Int32 {
        guard showStats || options.statsJSON != nil else { return reason.exitStatus }
        let report = machine.report()
        if showStats {
            printError(report.table(portRanges: machine.portDevices))
        }
        if let path = options.statsJSON {
            do {
                try writeJSON(report, to: path)
            } catch {
                printError("error: cannot write --stats-json \(path): \(error)")
                return reason.exitStatus == 0 ? 2 : reason.exitStatus
            }
        }
        return reason.exitStatus
    }

    /// Seconds on the monotonic clock.
    private func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// SIGINT and SIGTERM stop the VM cleanly (the vCPU threads block them).
    private func handleSignals(_ machine: VirtualMachine) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { machine.requestStop(.signal(number)) }
            source.resume()
            return source
        }
    }

    private func writeJSON(_ report: ExitReport, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(report)
        guard let file = fopen(path, "w") else {
            throw VMMError.invalidConfiguration(option: "--stats-json", reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        let written = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == data.count else {
            throw VMMError.invalidConfiguration(option: "--stats-json", reason: "short write")
        }
    }

    /// The warning for a trace file cut short by `--limit trace-bytes`.
    static func traceLimitWarning(_ omitted: Int, _ limits: ResourceLimits) -> String {
        "vmm: --trace: \(omitted) exit events left out: the trace file reached its limit of "
            + "\(ResourceLimits.describe(bytes: limits.traceBytes)) (--limit trace-bytes=SIZE)"
    }
}

/// Installs the `.control` seccomp filter on the main thread before anything is built,
/// so every thread created afterwards (vCPU, I/O, API, Dispatch's) inherits it under
/// its own; false (after printing why) when the kernel refused it.
func installControlFilter(_ action: SeccompAction?) -> Bool {
    // Load the time zone now: log lines call localtime(3), which must not need to
    // open /etc/localtime later on a vCPU or I/O thread (their lists have no open).
    tzset()
    do {
        try SeccompFilter.install(.control, action: action)
        return true
    } catch {
        printError("error: \(error) (--no-seccomp runs without filters)")
        return false
    }
}

/// Writes a line to standard error (unbuffered, so it is never lost on exit).
func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(2, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}
