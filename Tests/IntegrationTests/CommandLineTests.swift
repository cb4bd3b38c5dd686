import Foundation
import Testing
import VMM

/// The `vmm` executable as a user runs it: exit statuses, messages, bad input.
@Suite(requiresKVM) struct CommandLineTests {
    private func vmm(_ arguments: [String], timeout: Double = 60) -> Environment.ProcessResult {
        Environment.run([Environment.vmmBinary] + arguments, timeout: timeout)
    }

    /// Writes `bytes` to a new temporary file and returns its path.
    private func temporaryFile(_ bytes: [UInt8], name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-test-\(getpid())-\(name)")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func helloExitsWithTheDebugExitStatus() throws {
        let result = vmm(["run", "--kernel", try Environment.guest("hello.elf"), "--memory", "64M"])
        #expect(result.status == 1)
        #expect(result.stdout == "Hello from a multiboot guest\n")
        #expect(result.stderr.contains("debug exit port (exit status 1)"))
    }

    @Test func exitCodeReachesTheShell() throws {
        let result = vmm(["--kernel", try Environment.guest("exitcode.elf"), "--cmdline", "code=42"])
        #expect(result.status == 85)
        #expect(result.stdout == "exit code 42\n")
    }

    @Test func noKernelRunsTheDemoAndPrintsTheProfile() {
        let result = vmm([])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("Hello from the swift-vmm demo guest!\n"))
        #expect(result.stderr.contains("halted with interrupts disabled"))
        #expect(result.stderr.contains("Exit profile: 1 vCPU"))
        for reason in ["io-in", "io-out", "mmio-read", "mmio-write", "halt_exits 1"] {
            #expect(result.stderr.contains(reason), "profile lists \(reason)")
        }
    }

    @Test func statsJSONHasTheSameFigures() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-stats-\(getpid()).json").path
        let result = vmm(["demo", "--stats-json", path])
        #expect(result.status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let report = try JSONDecoder().decode(ExitReport.self, from: data)
        #expect(report.totals.first { $0.reason == "hlt" } == nil)
        #expect(report.kvmCounter("halt_exits") == 1)
        #expect(report.totals.first { $0.reason == "mmio-read" }?.count == 1)
        #expect(report.vcpus.count == 1)
        #expect(report.exitStatus == 0)
        let bytes = UInt64(result.stdout.utf8.count)
        #expect(report.totals.first { $0.reason == "io-out" }?.count == bytes)
        #expect(result.stderr.contains("Exit profile"))
    }

    @Test func statsFlagPrintsATableForAnyGuest() throws {
        let result = vmm(["--kernel", try Environment.guest("ioloop.elf"), "--cmdline", "n=10", "--stats"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Unassigned ports (read as all ones, writes dropped): 0x10 10"))
        #expect(result.stderr.contains("0x3f8 (serial)"))
    }

    @Test func timeoutStopsAGuestThatNeverExits() throws {
        // Real mode `jmp $`: no exits at all, so only the kick gets the vCPU out of KVM_RUN.
        let spin = try temporaryFile([0xEB, 0xFE], name: "spin.bin")
        let started = Date()
        let result = vmm(["--kernel", spin, "--flat", "0x7c00", "--mode", "real", "--timeout", "0.5"], timeout: 20)
        #expect(result.status == 124)
        #expect(result.stderr.contains("timed out after 0.5 s"))
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func ctrlCStopsCleanly() throws {
        let spin = try temporaryFile([0xEB, 0xFE], name: "spin-int.bin")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Environment.vmmBinary)
        process.arguments = ["--kernel", spin, "--flat", "0x7c00", "--mode", "real", "--stats"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.7)
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 130)
        #expect(stderr.contains("stopped by signal 2"))
        #expect(stderr.contains("Exit profile"), "statistics are still printed")
    }

    /// A bad kernel: a name, its bytes (given as a prefix and a fill, so test logs stay
    /// short), extra options, and what the error message must say.
    struct BadKernel: CustomTestStringConvertible, Sendable {
        let name: String
        let prefix: [UInt8]
        let fill: UInt8
        let size: Int
        let extra: [String]
        let message: String
        var bytes: [UInt8] { prefix + [UInt8](repeating: fill, count: max(0, size - prefix.count)) }
        var testDescription: String { name }
    }

    static let badKernels = [
        BadKernel(name: "garbage", prefix: [], fill: 0x5A, size: 64, extra: [], message: "unrecognised image format"),
        BadKernel(name: "empty", prefix: [], fill: 0, size: 0, extra: [], message: "empty"),
        BadKernel(name: "truncated-elf", prefix: [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0], fill: 0, size: 8, extra: [],
                  message: "truncated"),
        BadKernel(name: "too-big", prefix: [], fill: 0x90, size: 2 << 20,
                  extra: ["--flat", "0x100000", "--memory", "2M"], message: "does not fit"),
        BadKernel(name: "overlap", prefix: [0xF4], fill: 0, size: 1, extra: ["--flat", "0x1000", "--mode", "long"],
                  message: "overlaps the VMM's"),
        BadKernel(name: "real-above-1m", prefix: [], fill: 0x90, size: 0x1000,
                  extra: ["--flat", "0xFF800", "--mode", "real"], message: "real"),
    ]

    @Test(arguments: badKernels)
    func badKernelsFailClearly(kernel: BadKernel) throws {
        let path = try temporaryFile(kernel.bytes, name: kernel.name)
        let result = vmm(["--kernel", path] + kernel.extra)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("error:"))
        #expect(result.stderr.lowercased().contains(kernel.message.lowercased()), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser"),
                   "needs root and runuser to try /dev/kvm as an unprivileged user"))
    func kvmWithoutPermissionIsNamed() throws {
        // A copy in /tmp, so the unprivileged user can run it wherever the clone lives.
        let copy = "/tmp/vmm-unprivileged-\(getpid())"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: Environment.vmmBinary, toPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let result = Environment.run(["/usr/sbin/runuser", "-u", "nobody", "--", copy])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no permission to open /dev/kvm"))
    }

    @Test func missingKernelFile() {
        let result = vmm(["--kernel", "/nonexistent/kernel.elf"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot read kernel /nonexistent/kernel.elf"))
    }

    @Test(arguments: [
        (["--memory", "64X"], "--memory"),
        (["--memory", "0"], "--memory"),
        (["--mode", "long"], "--flat"),
        (["--timeout", "-1"], "--timeout"),
        (["--kernel", "x", "--flat", "nowhere"], "--flat"),
    ])
    func badOptionsNameTheOption(arguments: [String], option: String) {
        let result = vmm(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(option), "\(result.stderr)")
    }
}
