import Foundation
import Testing

/// The demo guest's bytes are compiled into vmm; they must be exactly what
/// Guests/demo/demo.S assembles to, so the source in the repository is the truth.
@Suite struct DemoGuestSourceTests {
    @Test func embeddedBytesMatchTheSource() throws {
        let root = Environment.packageRoot
        let generated = FileManager.default.temporaryDirectory
            .appendingPathComponent("DemoGuest-\(getpid()).swift").path
        let result = Environment.run(["sh", root.appendingPathComponent("Guests/demo/embed.sh").path, generated])
        try #require(result.status == 0, "embed.sh failed: \(result.stderr)")
        let fresh = try String(contentsOfFile: generated, encoding: .utf8)
        let committed = try String(contentsOf: root.appendingPathComponent("Sources/VMM/DemoGuest.swift"),
                                   encoding: .utf8)
        #expect(fresh == committed, "run Guests/demo/embed.sh after changing Guests/demo/demo.S")
        #expect(fresh.contains("0xF4"), "the demo ends in HLT")
    }
}
