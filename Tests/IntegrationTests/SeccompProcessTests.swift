import Foundation
import Testing

/// The seccomp filters in the `vmm` process itself (the test hook `vmm seccomp-probe`,
/// and a guest run with filters on).
@Suite("seccomp in the vmm process")
struct SeccompProcessTests {
    @Test("The default action kills vmm with SIGSYS on a forbidden call, for every thread kind")
    func killAction() {
        for kind in ["vcpu", "io", "apiEventLoop", "control"] {
            let result = Environment.run([Environment.vmmBinary, "seccomp-probe", kind], timeout: 30)
            // Foundation reports a death by signal as the signal's number.
            #expect(result.status == SIGSYS, "\(kind): status \(result.status), stderr: \(result.stderr)")
            #expect(!result.stderr.contains("sched_getscheduler returned"), "\(kind) survived: \(result.stderr)")
        }
    }

    @Test("The errno action fails the call with EPERM and lets the process go on")
    func errnoAction() {
        let result = Environment.run([Environment.vmmBinary, "seccomp-probe", "vcpu", "--action", "errno"],
                                     timeout: 30)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("sched_getscheduler returned -1, errno \(EPERM)"), "stderr: \(result.stderr)")
    }

    @Test("vmm run filters its threads: /proc shows seccomp mode 2 on every thread while a guest runs; --no-seccomp: mode 0",
          arguments: [false, true])
    func threadsFiltered(noSeccomp: Bool) throws {
        if let reason = Environment.kvmUnavailableReason {
            print("skipping: \(reason)")
            return
        }
        let guest = try Environment.guest("counter.elf")
        let vmm = try VMMProcess(["run", "--kernel", guest, "--timeout", "20", "--rng"]
                                 + (noSeccomp ? ["--no-seccomp"] : []))
        defer { vmm.kill() }
        // Every thread of the running process has a filter (Seccomp: 2).
        var modes: [String: String] = [:]
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            modes = Self.seccompModes(pid: vmm.pid)
            if modes.values.contains(where: { $0.hasPrefix("vCPU") }) { break }
            usleep(20_000)
        }
        #expect(!modes.isEmpty)
        #expect(modes.values.contains { $0.hasPrefix("vCPU") }, "\(modes)")
        for (thread, line) in modes {
            #expect(line.hasSuffix(noSeccomp ? " 0" : " 2"), "thread \(thread): \(line)")
        }
    }

    @Test("The API process filters its threads too (main, NIO event loop, NIO worker)")
    func apiThreadsFiltered() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-seccomp-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("api.sock").path
        let vmm = try VMMProcess(["--api-sock", socket])
        defer { vmm.kill() }
        var modes: [String: String] = [:]
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            modes = Self.seccompModes(pid: vmm.pid)
            if FileManager.default.fileExists(atPath: socket), modes.values.contains(where: { $0.hasPrefix("NIO-ELT") }) {
                break
            }
            usleep(20_000)
        }
        #expect(modes.values.contains { $0.hasPrefix("NIO-ELT") }, "\(modes)")
        for (thread, line) in modes {
            #expect(line.hasSuffix(" 2"), "thread \(thread): \(line)")
        }
    }

    /// thread id -> "comm seccomp-mode" for every thread of `pid`.
    static func seccompModes(pid: Int32) -> [String: String] {
        let base = "/proc/\(pid)/task"
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: base) else { return [:] }
        var modes: [String: String] = [:]
        for thread in threads {
            guard let status = try? String(contentsOfFile: "\(base)/\(thread)/status", encoding: .utf8),
                  let comm = try? String(contentsOfFile: "\(base)/\(thread)/comm", encoding: .utf8) else { continue }
            let mode = status.split(separator: "\n").first { $0.hasPrefix("Seccomp:") }?
                .split(separator: "\t").last.map(String.init) ?? "?"
            modes[thread] = "\(comm.trimmingCharacters(in: .whitespacesAndNewlines)) \(mode)"
        }
        return modes
    }
}
