import Foundation
import Testing

/// `vmm run --limit NAME=VALUE`: each bound hit through the binary is a clear
/// message naming the limit, and the process ends normally (never a signal).
@Suite(requiresKVM) struct ResourceLimitProcessTests {
    static func vmm(_ arguments: [String]) throws -> MeasuredRun {
        try MeasuredRun.run([Environment.vmmBinary, "run"] + arguments, timeout: 60)
    }

    @Test func memoryAboveTheLimitIsRefused() throws {
        let run = try Self.vmm(["--kernel", try Environment.guest("hello.elf"), "--memory", "64M",
                                "--limit", "memory=32M"])
        #expect(run.signal == nil)
        #expect(run.status != 0 && run.status != nil)
        #expect(run.stderr.contains("64 MiB is more than the memory limit of 32 MiB (--limit memory=SIZE)"),
                "\(run.stderr)")
    }

    @Test func devicesAboveTheLimitAreRefused() throws {
        let disk = try VirtioGuestTests.makeDisk(sectors: 8)
        defer { try? FileManager.default.removeItem(at: disk) }
        let run = try Self.vmm(["--kernel", try Environment.guest("hello.elf"), "--memory", "64M",
                                "--drive", disk.path, "--rng", "--limit", "devices=1"])
        #expect(run.signal == nil)
        #expect(run.status != 0 && run.status != nil)
        #expect(run.stderr.contains("2 virtio devices are more than the device limit of 1"), "\(run.stderr)")
    }

    @Test func anUnknownLimitIsAUsageError() throws {
        let run = try Self.vmm(["--kernel", try Environment.guest("hello.elf"), "--limit", "cpus=3"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("unknown limit 'cpus'"), "\(run.stderr)")
    }

    /// The MMIO storm makes every device log its driver errors (32 lines each, then
    /// one); with a 2 KiB budget the log stops after one notice.
    @Test func theLogStopsAtItsLimit() throws {
        let disk = try VirtioGuestTests.makeDisk(sectors: 8)
        defer { try? FileManager.default.removeItem(at: disk) }
        let run = try Self.vmm(["--kernel", try Environment.guest("hostile.elf"), "--memory", "64M",
                                "--cmdline", "storm=mmio", "--drive", disk.path, "--rng", "--console", "virtio",
                                "--limit", "log-bytes=2K"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("log limit of 2 KiB reached (--limit log-bytes=SIZE); further log lines are dropped"),
                "\(run.stderr)")
        // The budget, plus the notice, the VMM's own last line and the handler's time stamps.
        #expect(run.stderr.utf8.count < 2048 + 1024, "\(run.stderr.utf8.count) bytes")
    }

    @Test func theTraceFileStopsAtItsLimit() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("vmm-trace-limit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("trace.json").path
        let run = try Self.vmm(["--kernel", try Environment.guest("hostile.elf"), "--memory", "64M",
                                "--cmdline", "storm=pio", "--trace", path, "--limit", "trace-bytes=64K"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("the trace file reached its limit of 64 KiB (--limit trace-bytes=SIZE)"),
                "\(run.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count <= 64 << 10)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect((json?["omittedEvents"] as? Int ?? 0) > 60_000)
    }
}
