import ArgumentParser
import Seccomp
import Logging
import Loader
import Memory
import VMM

#if canImport(Glibc)
import Glibc
#endif

/// The options of `vmm run`, turned into a plain `MachineConfiguration`.
struct RunOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The guest image: multiboot, 32/64-bit ELF, or a raw binary with --flat.",
                               valueName: "file"))
    var kernel: String?

    @Option(help: "The guest command line. A multiboot kernel sees \"<kernel path> <cmdline>\", as with GRUB and QEMU.")
    var cmdline: String = ""

    @Option(help: ArgumentHelp("An initrd (initramfs) for a Linux kernel; for a multiboot or PVH kernel, "
                               + "module 0 (its string is the path).", valueName: "file"))
    var initrd: String?

    @Option(name: .customLong("module"),
            help: ArgumentHelp("A module for a multiboot or PVH kernel, loaded page-aligned after it; its string "
                               + "is \"FILE ARGS\" (as GRUB and QEMU). Repeatable.", valueName: "file[,args]"))
    var modules: [String] = []

    @Option(name: .customLong("boot-protocol"),
            help: ArgumentHelp("Entry point of an ELF kernel: auto (PVH when it has the Xen PVH note), "
                               + "pvh, or linux (the 64-bit boot protocol for a vmlinux).", valueName: "protocol"))
    var bootProtocol: String = "auto"

    @Option(help: ArgumentHelp("Guest RAM, e.g. 64M, 1G.", valueName: "size"))
    var memory: String = "128M"

    @Option(help: ArgumentHelp("Number of vCPUs (application processors wait for INIT/SIPI).", valueName: "n"))
    var cpus: Int = 1

    @Option(name: .customLong("drive"),
            help: ArgumentHelp("A virtio-blk disk: a raw image file, ',ro' for read-only. Repeatable.",
                               valueName: "path[,ro]"))
    var drives: [String] = []

    @Option(name: .customLong("net"),
            help: ArgumentHelp("A virtio-net device over an existing TAP device; without mac=, a locally administered "
                               + "MAC. Repeatable.", valueName: "tap=NAME[,mac=MAC]"))
    var nets: [String] = []

    @Flag(help: "Add a virtio-rng device fed from the host's getrandom(2).")
    var rng = false

    @Option(help: ArgumentHelp("Add a virtio console (hvc0) with 'virtio'; 'serial' (default): only the 16550.",
                               valueName: "kind"))
    var console: String = "serial"

    @Option(help: ArgumentHelp("A virtio-vsock device for guest CID N (3 or more): host clients connect to PATH "
                               + "and send 'CONNECT <port>\\n'; guest connections to host port P reach PATH_P.",
                               valueName: "cid=N,uds=PATH"))
    var vsock: String?

    @Option(name: .customLong("on-reset"),
            help: ArgumentHelp("What a guest reset (i8042 0xFE, ACPI reset register) does: exit (as Firecracker) or restart.",
                               valueName: "action"))
    var onReset: String = "exit"

    @Option(help: ArgumentHelp("Load --kernel as a raw binary at this guest address (e.g. 0x7c00).",
                               valueName: "address"))
    var flat: String?

    @Option(help: ArgumentHelp("CPU mode for --flat: real, protected or long.", valueName: "mode"))
    var mode: String?

    @Option(help: ArgumentHelp("Stop the VM after this many seconds.", valueName: "seconds"))
    var timeout: Double?

    @Flag(help: "Print the exit profile when the VM ends.")
    var stats = false

    @Option(name: .customLong("stats-json"), help: ArgumentHelp("Write the exit statistics as JSON.", valueName: "file"))
    var statsJSON: String?

    @Option(name: .customLong("stats-interval"),
            help: ArgumentHelp("While the guest runs, print exits per second by reason every this many seconds.",
                               valueName: "seconds"))
    var statsInterval: Double?

    @Option(help: ArgumentHelp("Record individual exits and write them as Chrome/Perfetto trace JSON when the VM ends.",
                               valueName: "file"))
    var trace: String?

    @Option(name: .customLong("trace-capacity"),
            help: ArgumentHelp("Exits --trace keeps per vCPU (the latest; 24 bytes each).", valueName: "n"))
    var traceCapacity: Int = 1 << 18

    @Option(name: .customLong("metrics-file"),
            help: ArgumentHelp("Keep the exit metrics in this file in Prometheus text format (rewritten every second).",
                               valueName: "file"))
    var metricsFile: String?

    @Option(name: .customLong("msr"),
            help: ArgumentHelp("Filter an MSR or range: FIRST[-LAST]:r|w|rw:allow|gp|value=V|record[=V]. Repeatable.",
                               valueName: "rule"))
    var msrRules: [String] = []

    @Option(help: ArgumentHelp("What HLT costs: in-kernel (KVM sleeps), poll[=NS] (KVM busy-polls first), "
                               + "guest (no HLT exit).", valueName: "mode"))
    var halt: String = "in-kernel"

    @Option(name: .customLong("pause-exits"), help: ArgumentHelp("PAUSE-loop exiting: on (KVM's default) or off.",
                                                                 valueName: "on|off"))
    var pauseExits: String = "on"

    @Option(help: ArgumentHelp("An extra KVM coalesced zone: writes there wait in KVM's ring until the next exit. "
                               + "Repeatable.", valueName: "mmio:ADDR:SIZE|pio:PORT:SIZE"))
    var coalesced: [String] = []

    @Flag(name: .customLong("strict-io"), help: "Stop the VM on the first access to a port or MMIO address with no device.")
    var strictIO = false

    @Flag(name: .customLong("no-huge-pages"), help: "Do not ask for transparent huge pages for guest RAM.")
    var noHugePages = false

    @Flag(name: .customLong("no-acpi"), help: "Leave out the ACPI tables and the ACPI power management ports.")
    var noACPI = false

    @OptionGroup var cpu: CPUOptions

    @Option(name: .customLong("limit"),
            help: ArgumentHelp("A resource limit, NAME=VALUE (repeatable): memory=SIZE, devices=N, log-bytes=SIZE, "
                + "trace-bytes=SIZE, vsock-connections=N (docs/security.md, \"Resource limits\").",
                valueName: "name=value"))
    var limits: [String] = []

    @Flag(name: .customLong("no-seccomp"),
          help: "Install no seccomp filters on the VMM's threads (they are on by default; docs/security.md).")
    var noSeccomp = false

    @Option(name: .customLong("seccomp-action"),
            help: ArgumentHelp("What a filtered thread's disallowed system call does: kill (the process, default), "
                               + "errno (fails with EPERM), trap (SIGSYS) or log (allowed, logged by the kernel). "
                               + "Default: $VMM_SECCOMP_ACTION if set, else kill.",
                               valueName: "action"))
    var seccompAction: String = getenv("VMM_SECCOMP_ACTION").map { String(cString: $0) } ?? "kill"

    /// The seccomp action the options ask for; nil with --no-seccomp.
    var seccomp: SeccompAction? { noSeccomp ? nil : SeccompAction(name: seccompAction) ?? .killProcess }

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, warning or error.", valueName: "level"))
    var logLevel: String = "warning"

    func validate() throws {
        _ = try resourceLimits()
        if let timeout, !(timeout > 0 && timeout.isFinite) {
            throw ValidationError("--timeout must be a positive number of seconds, not \(timeout)")
        }
        if mode != nil && flat == nil {
            throw ValidationError("--mode applies only to --flat images; add --flat ADDRESS")
        }
        if flat != nil && kernel == nil {
            throw ValidationError("--flat needs --kernel FILE (the raw binary to load)")
        }
        if !["serial", "virtio"].contains(console) {
            throw ValidationError("--console must be serial or virtio, not '\(console)'")
        }
        if ResetAction(rawValue: onReset) == nil {
            throw ValidationError("--on-reset must be exit or restart, not '\(onReset)'")
        }
        if initrd != nil && kernel == nil {
            throw ValidationError("--initrd needs --kernel FILE (a Linux kernel)")
        }
        if !modules.isEmpty && kernel == nil {
            throw ValidationError("--module needs --kernel FILE (a multiboot or PVH kernel)")
        }
        if BootProtocol(rawValue: bootProtocol) == nil {
            throw ValidationError("--boot-protocol must be auto, pvh or linux, not '\(bootProtocol)'")
        }
        if let statsInterval, !(statsInterval >= 0.01 && statsInterval <= 86_400) {
            throw ValidationError("--stats-interval must be between 0.01 and 86400 seconds, not \(statsInterval)")
        }
        if !(1...(1 << 24)).contains(traceCapacity) {
            throw ValidationError("--trace-capacity must be between 1 and \(1 << 24) exits, not \(traceCapacity)")
        }
        if trace != nil, cpus > 0, traceCapacity > (1 << 30) / (24 * cpus) {
            throw ValidationError("--trace-capacity \(traceCapacity) for \(cpus) vCPUs needs more than 1 GiB "
                + "(24 bytes per exit and vCPU); at most \((1 << 30) / (24 * cpus)) here")
        }
        for (option, path) in [("--trace", trace), ("--metrics-file", metricsFile)] {
            if let path { try Self.checkWritable(path, option: option) }
        }
        if SeccompAction(name: seccompAction) == nil {
            throw ValidationError("--seccomp-action must be kill, errno, trap or log, not '\(seccompAction)'")
        }
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            throw ValidationError("--log-level must be trace, debug, info, warning or error, not '\(logLevel)'")
        }
    }

    func machineConfiguration() throws -> MachineConfiguration {
        var configuration = MachineConfiguration()
        do {
            configuration.memorySize = try MemorySize.parse(memory)
        } catch {
            throw ValidationError("--memory: \(error)")
        }
        configuration.commandLine = cmdline
        configuration.vcpuCount = cpus
        configuration.initrdPath = initrd
        configuration.modules = try modules.map { text in
            do { return try ModuleFile.parse(text) } catch { throw ValidationError("\(error)") }
        }
        configuration.bootProtocol = BootProtocol(rawValue: bootProtocol) ?? .auto
        configuration.onReset = ResetAction(rawValue: onReset) ?? .exit
        configuration.rng = rng
        configuration.virtioConsole = console == "virtio"
        configuration.drives = try drives.map { text in
            do { return try DriveConfiguration.parse(text) } catch { throw ValidationError("\(error)") }
        }
        configuration.nets = try nets.map { text in
            do { return try NetConfiguration.parse(text) } catch { throw ValidationError("\(error)") }
        }
        if let vsock {
            do { configuration.vsock = try VsockConfiguration.parse(vsock) } catch { throw ValidationError("\(error)") }
        }
        configuration.strictIO = strictIO
        configuration.limits = try resourceLimits()
        configuration.cpuid = try cpu.policy()
        configuration.hugePages = !noHugePages
        configuration.seccomp = seccomp
        configuration.acpi = !noACPI
        if trace != nil { configuration.traceCapacity = traceCapacity }
        do {
            configuration.halt = try HaltMode.parse(halt)
            configuration.coalescedZones = try coalesced.map { text throws(VMMError) in try CoalescedZone.parse(text) }
        } catch { throw ValidationError("\(error)") }
        guard ["on", "off"].contains(pauseExits) else {
            throw ValidationError("--pause-exits must be on or off, not '\(pauseExits)'")
        }
        configuration.pauseExits = pauseExits == "on"
        configuration.msrRules = try msrRules.map { text in
            do { return try MSRRule.parse(text) } catch { throw ValidationError("\(error)") }
        }
        if let kernel { configuration.kernel = .file(path: kernel) }
        if let flat {
            guard let address = Self.parseAddress(flat) else {
                throw ValidationError("--flat: '\(flat)' is not an address (use e.g. 0x7c00 or 1048576)")
            }
            let modeName = mode ?? "protected"
            guard let cpuMode = CPUMode(rawValue: modeName) else {
                throw ValidationError("--mode must be real, protected or long, not '\(modeName)'")
            }
            configuration.flat = FlatImageOptions(address: GuestAddress(address), mode: cpuMode)
        }
        return configuration
    }

    /// The `--limit` values applied to the defaults.
    func resourceLimits() throws -> ResourceLimits {
        var result = ResourceLimits()
        for text in limits {
            do { try result.set(text) } catch { throw ValidationError("\(error)") }
        }
        return result
    }

    /// Sends swift-log messages (device warnings such as a virtio driver's protocol
    /// errors) to standard error at `--log-level`.
    /// With `firecrackerStyle` (API mode), through the swappable sink that `PUT /logger`
    /// redirects, in Firecracker's line format.
    func bootstrapLogging(firecrackerStyle: Bool = false) {
        let budget = LogBudget(limit: (try? resourceLimits())?.logBytes ?? ResourceLimits().logBytes)
        if firecrackerStyle {
            LogSink.shared.setByteLimit(budget.limit)
            if let level = try? LogLevelFilter(parsing: logLevel) {
                try? LogSink.shared.configure(LoggerConfiguration(level: level))
            }
            FirecrackerLogHandler.bootstrap()
            return
        }
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return BudgetedLogHandler(wrapping: handler, label: label, budget: budget)
        }
    }

    /// Creates (or truncates) `path` now, so a file that cannot be written is an
    /// error before the guest runs rather than after.
    static func checkWritable(_ path: String, option: String) throws {
        guard let file = fopen(path, "w") else {
            throw ValidationError("\(option): cannot create \(path): \(String(cString: strerror(errno)))")
        }
        fclose(file)
    }

    /// Parses "0x7c00", "0X7C00" or "31744".
    static func parseAddress(_ text: String) -> UInt64? {
        ConfigurationNumber.parse(text)
    }
}
