import ArgumentParser
import Seccomp

#if canImport(Glibc)
import Glibc
#endif

/// `vmm seccomp-probe KIND`: a test hook, hidden from the help. Installs the
/// allow-list of thread kind KIND on the main thread with the given action, then
/// calls sched_getscheduler(2), which no list allows. With `kill` the process dies of SIGSYS
/// before printing anything; otherwise it prints the call's result and errno.
/// Tests/IntegrationTests/SeccompProcessTests.swift uses it to show that the
/// default action really kills `vmm`.
struct SeccompProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seccomp-probe",
        abstract: "Test hook: install a thread kind's seccomp filter and make a call it forbids.",
        shouldDisplay: false)

    @Argument(help: "vcpu, io, apiEventLoop or control.")
    var kind: String

    @Option(help: "kill, errno, trap or log.")
    var action: String = "kill"

    func run() throws {
        guard let kind = ThreadKind(rawValue: kind) else {
            throw ValidationError("unknown thread kind '\(kind)'")
        }
        guard let action = SeccompAction(name: action) else {
            throw ValidationError("unknown action '\(action)'")
        }
        try SeccompFilter(kind, action: action).install()
        let result = sched_getscheduler(0)
        let error = result < 0 ? errno : 0
        printError("sched_getscheduler returned \(result), errno \(error)")
    }
}
