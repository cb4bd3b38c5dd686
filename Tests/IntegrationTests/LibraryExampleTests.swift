import Foundation
import Testing
import VMM

/// Examples/LibraryExample runs the documented life cycle (docs/library.md) once.
@Suite(requiresKVM) struct LibraryExampleTests {
    private static var binary: String {
        URL(fileURLWithPath: Environment.vmmBinary).deletingLastPathComponent()
            .appendingPathComponent("LibraryExample").path
    }

    @Test func demoGuestLifeCycle() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "not built: \(Self.binary)")
        let result = Environment.run([Self.binary], timeout: 60)
        #expect(result.stdout.hasPrefix("Hello from the swift-vmm demo guest!\n"), "\(result.stdout)")
        #expect(result.stdout.contains("paused: vCPU states "), "\(result.stdout)")
        #expect(result.stdout.contains("stopped: "), "\(result.stdout)")
        #expect(result.stdout.contains("io-out"), "the exit report table: \(result.stdout)")
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func kernelArgumentAndAClearErrorForAMissingOne() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "not built: \(Self.binary)")
        let hello = try Environment.guest("hello.elf")
        let run = Environment.run([Self.binary, hello], timeout: 60)
        #expect(run.stdout.contains("stopped: "), "\(run.stdout) \(run.stderr)")
        let missing = Environment.run([Self.binary, "/nonexistent/kernel.elf"], timeout: 60)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("LibraryExample: cannot read kernel /nonexistent/kernel.elf"), "\(missing.stderr)")
    }
}
