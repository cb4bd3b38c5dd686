import Foundation
import Testing
import VMM

/// `--trace`, `--metrics-file` and `--stats-interval` against the exit report.
@Suite(requiresKVM) struct ExitVisibilityTests {
    private func path(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("vmm-vis-\(getpid())-\(name)").path
    }

    private func exitsByReason(_ statsJSON: String) throws -> [String: UInt64] {
        let report = try JSONDecoder().decode(ExitReport.self, from: Data(contentsOf: URL(fileURLWithPath: statsJSON)))
        var counts: [String: UInt64] = [:]
        for reason in ExitReason.allCases where report.count(reason) > 0 { counts[reason.name] = report.count(reason) }
        return counts
    }

    @Test func theTraceHoldsEveryExitOfTheReport() throws {
        let trace = path("trace.json"), stats = path("stats.json")
        defer { for file in [trace, stats] { try? FileManager.default.removeItem(atPath: file) } }
        let result = Environment.run([Environment.vmmBinary, "run", "--kernel", try Environment.guest("ioloop.elf"),
                                      "--cmdline", "n=300", "--trace", trace, "--stats-json", stats])
        #expect(result.status == 1, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [String: Any]
        let events = (json?["traceEvents"] as? [[String: Any]] ?? []).filter { $0["ph"] as? String == "X" }
        var traced: [String: UInt64] = [:]
        for event in events { traced[event["name"] as? String ?? "?", default: 0] += 1 }
        #expect(traced == (try exitsByReason(stats)))
        // The 300 loop writes go to port 0x10, each a traced exit with its port.
        #expect(events.filter { ($0["args"] as? [String: String])?["port"] == "0x10" }.count == 300)
        let times = events.compactMap { $0["ts"] as? Double }
        #expect(times == times.sorted() && times.count == events.count)
    }

    @Test func aSmallTraceKeepsTheLatestExitsAndCountsTheRest() throws {
        let trace = path("small.json"), stats = path("small-stats.json")
        defer { for file in [trace, stats] { try? FileManager.default.removeItem(atPath: file) } }
        let result = Environment.run([Environment.vmmBinary, "run", "--kernel", try Environment.guest("ioloop.elf"),
                                      "--trace", trace, "--trace-capacity", "10", "--stats-json", stats])
        #expect(result.status == 1, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [String: Any]
        let events = (json?["traceEvents"] as? [[String: Any]] ?? []).filter { $0["ph"] as? String == "X" }
        let dropped = (json?["otherData"] as? [String: Any])?["droppedEvents"] as? Int
        let total = try exitsByReason(stats).values.reduce(0, +)
        #expect(events.count == 10)
        #expect(dropped.map(UInt64.init) == total - 10)
        // The last exit is the debug-exit write that ended the VM.
        #expect((events.last?["args"] as? [String: String])?["port"] == "0xf4")
    }

    @Test func theMetricsFileMatchesTheReport() throws {
        let metrics = path("metrics.prom"), stats = path("metrics-stats.json")
        defer { for file in [metrics, stats] { try? FileManager.default.removeItem(atPath: file) } }
        let result = Environment.run([Environment.vmmBinary, "run", "--kernel", try Environment.guest("ioloop.elf"),
                                      "--cmdline", "n=200", "--metrics-file", metrics, "--stats-json", stats])
        #expect(result.status == 1, "\(result.stderr)")
        let text = try String(contentsOfFile: metrics, encoding: .utf8)
        for (reason, count) in try exitsByReason(stats) {
            #expect(text.contains("vmm_exits_total{vcpu=\"0\",reason=\"\(reason)\"} \(count)\n"), "\(reason) in\n\(text)")
        }
        #expect(text.contains("# TYPE vmm_kvm_exits_total counter"))
    }

    @Test func theLiveViewPrintsRatesWhileTheGuestRuns() throws {
        // About 10^5 port writes: long enough here for several 0.1 s intervals.
        let result = Environment.run([Environment.vmmBinary, "run", "--kernel", try Environment.guest("ioloop.elf"),
                                      "--cmdline", "n=100000", "--stats-interval", "0.1"])
        #expect(result.status == 1, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("exits/s to user space") }
        #expect(lines.count >= 2, "\(result.stderr)")
        #expect(lines.contains { $0.contains("(io-out ") })
        #expect(lines.allSatisfy { $0.hasPrefix("vmm: ") && $0.contains(" s: ") })
    }

    @Test func unwritableOutputsAreRefusedBeforeBoot() throws {
        for option in ["--trace", "--metrics-file"] {
            let result = Environment.run([Environment.vmmBinary, "run", "--kernel", try Environment.guest("hello.elf"),
                                          option, "/nonexistent-dir/out"])
            #expect(result.status != 0 && result.status != 1)
            #expect(result.stderr.contains("\(option): cannot create /nonexistent-dir/out: No such file or directory"),
                    "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let bad = Environment.run([Environment.vmmBinary, "run", "--stats-interval", "0"])
        #expect(bad.stderr.contains("--stats-interval must be between 0.01 and 86400 seconds"))
        let huge = Environment.run([Environment.vmmBinary, "run", "--trace", path("huge.json"), "--cpus", "64",
                                    "--trace-capacity", "16777216"])
        #expect(huge.stderr.contains("--trace-capacity 16777216 for 64 vCPUs needs more than 1 GiB"), "\(huge.stderr)")
        #expect(huge.status != 0)
    }
}
