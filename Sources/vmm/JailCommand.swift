import ArgumentParser
import Jail

#if canImport(Glibc)
import Glibc
#endif

/// `vmm jail [options] -- [run arguments]`: runs the VMM as Firecracker's jailer
/// does, in a chroot (pivot_root), new namespaces, a cgroup, as an unprivileged uid.
struct JailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jail",
        abstract: "Run the VMM jailed: chroot, new mount/PID/IPC/UTS (and network) namespaces, cgroup v2 limits, "
            + "dropped uid/gid.",
        discussion: """
            Everything after -- is given to `vmm run`. Files it reads (--kernel, --initrd, --drive, --config-file) \
            are host paths, bind-mounted into <chroot-base-dir>/<id>/root; files and sockets it creates (--api-sock, \
            --vsock uds=, --stats-json, --trace, --metrics-file) are paths inside the jail, in a directory such as \
            /run. The exit status is the VMM's; 2 if a step of the jail fails (the message names it). See \
            docs/security.md.
            """)

    @Option(help: ArgumentHelp("The jail's name: its root is <chroot-base-dir>/<id>/root, its cgroup vmm/<id>.",
                               valueName: "id"))
    var id: String

    @Option(help: ArgumentHelp("The uid the VMM runs as.", valueName: "uid"))
    var uid: UInt32

    @Option(help: ArgumentHelp("The gid the VMM runs as (its only group).", valueName: "gid"))
    var gid: UInt32

    @Option(name: .customLong("chroot-base-dir"), help: ArgumentHelp("Where jails are made.", valueName: "dir"))
    var chrootBaseDirectory: String = "/srv/jailer"

    @Option(help: ArgumentHelp("Join this network namespace (e.g. /var/run/netns/NAME, where the TAP device is).",
                               valueName: "path"))
    var netns: String?

    @Flag(name: .customLong("new-netns"), help: "Run in a new, empty network namespace.")
    var newNetns = false

    @Option(help: ArgumentHelp("A cgroup v2 limit, e.g. cpu.max=\"50000 100000\" or memory.max=268435456. "
                               + "Repeatable.", valueName: "file=value"))
    var cgroup: [String] = []

    @Option(name: .customLong("cgroup-root"),
            help: ArgumentHelp("The cgroup v2 hierarchy (default: the cgroup2 mount in /proc/self/mountinfo).",
                               valueName: "dir"))
    var cgroupRoot: String?

    @Option(name: .customLong("resource-limit"),
            help: ArgumentHelp("no-file=N or fsize=N (setrlimit). Repeatable.", valueName: "limit"))
    var resourceLimits: [String] = []

    @Option(help: ArgumentHelp("Skip an optional step the host refuses: cgroup (warn and go on), pid-ns, ipc-ns, "
                               + "uts-ns. Repeatable.", valueName: "step"))
    var skip: [String] = []

    @Argument(parsing: .postTerminator, help: "The `vmm run` arguments, after --.")
    var runArguments: [String] = []

    static let skippable = ["cgroup", "pid-ns", "ipc-ns", "uts-ns"]

    func run() throws {
        do {
            throw ExitCode(try jail())
        } catch let error as JailError {
            JailError.printToStandardError("\(error)")
            throw ExitCode(2)
        }
    }

    /// Stage one: prepare, place in the cgroup, start stage two, wait.
    func jail() throws(JailError) -> Int32 {
        let plan = try makePlan()
        let rewritten = try JailArguments.rewrite(runArguments, uid: uid)
        var full = plan
        full.mounts = rewritten.mounts
        full.devices = rewritten.devices
        full.writableDirectories = rewritten.writableDirectories
        try ChrootDirectory.prepare(full)
        try placeInCgroup(full)
        var namespaces = JailLauncher.Namespaces()
        namespaces.pid = !skip.contains("pid-ns")
        namespaces.ipc = !skip.contains("ipc-ns")
        namespaces.uts = !skip.contains("uts-ns")
        namespaces.network = full.network == .new
        var netnsFD: Int32 = -1
        if case .join(let path) = full.network { netnsFD = try JailLauncher.openNetworkNamespace(path) }
        defer { if netnsFD >= 0 { close(netnsFD) } }
        let executable = try Self.ownExecutable()
        var arguments = [executable, "jail-stage2", "--root", full.rootPath, "--uid", String(uid), "--gid", String(gid)]
        for mount in full.mounts { arguments += ["--mount", mount.encoded] }
        for device in full.devices { arguments += ["--device", device.jailPath] }
        for limit in full.resourceLimits { arguments += ["--resource-limit", limit.encoded] }
        arguments += ["--"] + rewritten.arguments
        let pid = try JailLauncher.spawn(executable: executable, arguments: arguments, environment: [],
                                         namespaces: namespaces, networkNamespaceFD: netnsFD)
        return JailLauncher.wait(pid)
    }

    func makePlan() throws(JailError) -> JailPlan {
        guard JailPlan.isValidID(id) else {
            throw JailError(.options, "--id '\(id)' must be 1 to 64 letters, digits, '-' or '_'")
        }
        for step in skip where !Self.skippable.contains(step) {
            throw JailError(.options, "--skip \(step): only \(Self.skippable.joined(separator: ", ")) can be skipped")
        }
        if netns != nil && newNetns { throw JailError(.options, "--netns and --new-netns exclude each other") }
        var plan = JailPlan(id: id, uid: uid, gid: gid, chrootBaseDirectory: chrootBaseDirectory)
        if let netns { plan.network = .join(path: netns) } else if newNetns { plan.network = .new }
        plan.cgroupSettings = try cgroup.map { text throws(JailError) in try CgroupSetting.parse(text) }
        plan.cgroupRoot = cgroupRoot
        plan.resourceLimits = try resourceLimits.map { text throws(JailError) in try ResourceLimit.parse(text) }
        return plan
    }

    /// Moves this process (and so the VMM it starts) into `vmm/<id>` with the limits.
    func placeInCgroup(_ plan: JailPlan) throws(JailError) {
        guard !plan.cgroupSettings.isEmpty else { return }
        do {
            let hierarchy = try CgroupV2.find(override: plan.cgroupRoot)
            try hierarchy.place(id: plan.id, settings: plan.cgroupSettings, pid: getpid())
        } catch {
            guard skip.contains("cgroup") else { throw error }
            JailError.printToStandardError("\(error) (skipped: --skip cgroup)")
        }
    }

    static func ownExecutable() throws(JailError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else {
            throw JailError(.exec, "readlink /proc/self/exe (the vmm executable to run jailed) failed")
        }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
