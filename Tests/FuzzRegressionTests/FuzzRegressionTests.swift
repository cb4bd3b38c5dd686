import Foundation
import FuzzTargets
import Testing

/// Runs every stored fuzz input through its target's entry, so the fixes for
/// crashes the fuzzer found stay fixed without running the fuzzer.
///
/// `Inputs/<target>/` holds inputs that once crashed, hung or allocated without
/// bound (each named after the bug); `Seeds/<target>/` is the seed corpus
/// `scripts/fuzz.sh` starts from. A target's entry returns normally for every input:
/// a crash fails the whole test run.
@Suite("Fuzz regression inputs")
struct FuzzRegressionTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    static func files(_ kind: String, _ target: FuzzTarget) throws -> [URL] {
        let folder = directory.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("stored crash inputs run cleanly", arguments: FuzzTarget.allCases)
    func crashInputs(target: FuzzTarget) throws {
        let inputs = try Self.files("Inputs", target)
        if inputs.isEmpty { print("no stored crash inputs for \(target.rawValue): the fuzzer found none") }
        for url in inputs {
            target.run(Array(try Data(contentsOf: url)))
        }
    }

    @Test("seed corpus runs cleanly", arguments: FuzzTarget.allCases)
    func seeds(target: FuzzTarget) throws {
        let seeds = try Self.files("Seeds", target)
        #expect(!seeds.isEmpty, "Tests/FuzzRegressionTests/Seeds/\(target.rawValue) is empty")
        for url in seeds {
            let accepted = target.run(Array(try Data(contentsOf: url)))
            // Every stored loader seed is a real guest or a valid crafted kernel.
            if target == .loader { #expect(accepted == 1, "\(url.lastPathComponent) did not load") }
        }
    }

    /// The least work each built-in seed must get accepted: a seed that stops at the
    /// first check would leave the fuzzer to find the format alone.
    static let minimumAccepted: [String: Int] = [
        "queue-two-chains": 2, "transport-rng": 2, "transport-block": 2,
        "bzimage": 1, "bzimage-initrd": 1,
        "state-file": 8, "state-file-body": 8,
        "http-sequence": 15, "route-sequence": 15, "config-file": 1,
    ]

    @Test("built-in seeds get past the format checks", arguments: FuzzTarget.allCases)
    func builtInSeeds(target: FuzzTarget) {
        let seeds = target.seeds()
        #expect(!seeds.isEmpty)
        for seed in seeds {
            let accepted = target.run(seed.bytes)
            if let minimum = Self.minimumAccepted[seed.name] {
                #expect(accepted >= minimum, "\(target.rawValue) seed \(seed.name): \(accepted) accepted")
            } else if seed.name.hasPrefix("section-") {
                #expect(accepted == 1, "\(seed.name) did not restore")
            }
        }
    }
}
