import ArgumentParser
import Jail

#if canImport(Glibc)
import Glibc
#endif

/// The jail's second stage (internal): `vmm jail` execs it in the new namespaces.
/// It enters the jail (binds, pivot_root, rlimits, drop to uid/gid) and then runs
/// `vmm run` with the rewritten arguments in this same process, as PID 1.
struct JailStage2: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jail-stage2",
        abstract: "Internal: the second stage of vmm jail.",
        shouldDisplay: false)

    @Option var root: String
    @Option var uid: UInt32
    @Option var gid: UInt32
    @Option(name: .customLong("mount")) var mounts: [String] = []
    @Option(name: .customLong("device")) var devices: [String] = []
    @Option(name: .customLong("resource-limit")) var resourceLimits: [String] = []
    @Argument(parsing: .postTerminator) var runArguments: [String] = []

    func run() throws {
        do {
            var decoded: [JailMount] = []
            for text in mounts {
                guard let mount = JailMount.decode(text) else { throw JailError(.options, "bad --mount '\(text)'") }
                decoded.append(mount)
            }
            let limits = try resourceLimits.map { text throws(JailError) in try ResourceLimit.parse(text) }
            let entry = JailEntry(rootPath: root, uid: uid, gid: gid, mounts: decoded, devices: devices,
                                  resourceLimits: limits)
            try entry.enter()
        } catch {
            JailError.printToStandardError("\(error)")
            throw ExitCode(2)
        }
        umask(0o077)
        Run.main(runArguments)
    }
}
