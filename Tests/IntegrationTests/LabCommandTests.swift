import Foundation
import Testing

/// `vmm lab` from the command line, and the embedded lab guest against its sources.
@Suite struct LabCommandTests {
    /// Sources/Lab/LabGuestImage.swift must be exactly what Guests/lab/embed.sh makes
    /// of the sources, so the C and assembly in Guests/lab stay the truth.
    @Test func embeddedLabGuestMatchesTheSources() throws {
        let root = Environment.packageRoot
        let generated = FileManager.default.temporaryDirectory
            .appendingPathComponent("LabGuestImage-\(getpid()).swift").path
        defer { try? FileManager.default.removeItem(atPath: generated) }
        let result = Environment.run(["sh", root.appendingPathComponent("Guests/lab/embed.sh").path, generated])
        try #require(result.status == 0, "embed.sh failed: \(result.stderr)")
        let fresh = try String(contentsOfFile: generated, encoding: .utf8)
        let committed = try String(contentsOf: root.appendingPathComponent("Sources/Lab/LabGuestImage.swift"),
                                   encoding: .utf8)
        #expect(fresh == committed, "run Guests/lab/embed.sh after changing Guests/lab or Guests/common")
    }

    @Test func listShowsAvailableAndPlannedExperiments() {
        let result = Environment.run([Environment.vmmBinary, "lab", "--list"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        for name in ["exit-cost", "msr-bitmap", "mmio-batching", "halt", "huge-pages", "page-walk", "hypercall",
                     "cpuid-lie"] {
            #expect(lines.contains { $0.contains("| \(name) ") && $0.contains("| yes ") }, "\(name)")
        }
        #expect(!result.stdout.contains("not yet"))
    }

    @Test func badArgumentsAreRefusedBeforeAnyVM() {
        let unknown = Environment.run([Environment.vmmBinary, "lab", "nonsense"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no experiment 'nonsense'"))
        let zero = Environment.run([Environment.vmmBinary, "lab", "exit-cost", "--n", "0"])
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("--n must be at least 1"))
    }

    @Test(requiresKVM) func runsAnExperimentAndWritesJSON() throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("lab-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: json) }
        let result = Environment.run([Environment.vmmBinary, "lab", "hypercall", "--n", "20", "--repeat", "1",
                                      "--json", json])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("host: "))
        #expect(result.stdout.contains("== hypercall (n = 20)"))
        #expect(result.stdout.contains("| measure "))
        let data = try Data(contentsOf: URL(fileURLWithPath: json))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let results = object?["results"] as? [[String: Any]]
        #expect(results?.count == 1)
        let counts = results?.first?["counts"] as? [String: Any]
        #expect((counts?["port.userExits"] as? NSNumber)?.intValue == 20)
        #expect((object?["host"] as? [String: Any])?["guestTSCKHz"] != nil)
    }
}
