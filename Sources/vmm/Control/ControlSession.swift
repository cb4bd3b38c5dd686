import API
import Dispatch
import Logging
import Seccomp
import Synchronization
import VMM

#if canImport(Glibc)
import Glibc
#endif

private let apiLogger = Logger(label: "swift-vmm.api")

/// `vmm --api-sock PATH` and `vmm --config-file FILE [--no-api]`: the process as
/// Firecracker's clients expect it. The socket is served before anything boots;
/// the configuration file, when given, boots the VM at once; the process exits
/// with the VM's status when the guest shuts down (or on SIGINT/SIGTERM).
struct ControlSession {
    let options: RunOptions
    let api: APIOptions

    /// Returns the process exit status.
    func run() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let seccomp = options.seccomp
        guard installControlFilter(seccomp) else { return 2 }
        let ended = DispatchSemaphore(value: 0)
        let outcome = Mutex<(machine: VirtualMachine, reason: StopReason)?>(nil)
        let options = self.options
        var host = VMMDriver.Host(ended: { machine, reason in
            outcome.withLock { $0 = (machine, reason) }
            ended.signal()
        })
        host.serialInput = .standardInputIfInteractive
        host.adjust = { configuration in
            configuration.strictIO = options.strictIO
            configuration.seccomp = seccomp
            if options.trace != nil { configuration.traceCapacity = options.traceCapacity }
            if let limits = try? options.resourceLimits() { configuration.limits = limits }
        }
        let requestMetrics = APIRequestMetrics()
        let driver = VMMDriver(host: host, apiCounters: { Self.counters(requestMetrics) })
        let resources: VMResources
        do {
            resources = try api.configFile.map { path throws(APIError) in try VMResources(configFile: path) }
                ?? VMResources()
        } catch {
            printError("error: \(error)")
            return 2
        }
        let identity = InstanceIdentity(id: api.id)
        let controller = APIController(driver: driver, identity: identity, resources: resources,
                                       metrics: requestMetrics)
        var server: APIServer? = nil
        if let path = api.socketPath {
            let candidate = APIServer(socketPath: path, controller: controller, maxBodySize: api.maxBodySize,
                                      seccomp: seccomp)
            do {
                try candidate.start()
            } catch {
                printError("error: --api-sock \(path): \(error)")
                return 2
            }
            server = candidate
            logReady(path)
        }
        if api.configFile != nil {
            do {
                if let logger = resources.logger { try driver.configureLogger(logger) }
                if let metrics = resources.metrics { try driver.configureMetrics(metrics) }
                try controller.startInstance()
            } catch {
                printError("error: --config-file \(api.configFile ?? ""): \(error)")
                server?.close()
                return 2
            }
        }
        let signals = handleSignals(driver: driver, ended: ended)
        ended.wait()
        signals.forEach { $0.cancel() }
        driver.finishMetrics()
        server?.close()
        guard let (machine, reason) = outcome.withLock({ $0 }) else {
            printError("vmm: stopped before a VM was started")
            return 130
        }
        printError("vmm: \(reason.summary)")
        if options.stats { printError(machine.report().table(portRanges: machine.portDevices)) }
        if let path = options.trace {
            do {
                let omitted = try machine.writeTrace(to: path)
                if omitted > 0 { printError(RunSession.traceLimitWarning(omitted, machine.configuration.limits)) }
            } catch { printError("error: \(error)") }
        }
        return reason.exitStatus
    }

    /// The API's request counters as metrics fields (`<route>_count`, `<route>_fails`).
    static func counters(_ metrics: APIRequestMetrics) -> MetricsWriter.Counters {
        var counters: MetricsWriter.Counters = [:]
        for (name, value) in metrics.snapshot() {
            counters["\(name)_count"] = value.count
            counters["\(name)_fails"] = value.fails
        }
        return counters
    }

    /// The CPU time the process used until its socket listened (the start-up figure
    /// Firecracker publishes), logged at info level.
    private func logReady(_ path: String) {
        var usage = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &usage)
        let milliseconds = Double(usage.tv_sec) * 1e3 + Double(usage.tv_nsec) / 1e6
        apiLogger.info("API socket \(path) ready after \(milliseconds) CPU-ms")
    }

    /// SIGINT and SIGTERM stop the VM; before any VM exists they end the process.
    private func handleSignals(driver: VMMDriver, ended: DispatchSemaphore) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if let machine = driver.runningMachine {
                    machine.requestStop(.signal(number))
                } else {
                    ended.signal()
                }
            }
            source.resume()
            return source
        }
    }
}
