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
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("example-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = Environment.run([Self.binary, hello], timeout: 60)
        #expect(run.stdout.contains("stopped: "), "\(run.stdout) \(run.stderr)")
        // A guest that runs long enough to be paused (count 1..20 at 100 Hz, then exit).
        let counter = try Environment.guest("counter.elf")
        let snapshot = Environment.run([Self.binary, counter, directory.path, "every=1 limit=20"], timeout: 60)
        #expect(snapshot.stdout.contains("snapshot: ") && snapshot.stdout.contains("stopped: "),
                "\(snapshot.stdout) \(snapshot.stderr)")
        let state = directory.appendingPathComponent("vm.state").path
        #expect((try? VirtualMachine.snapshotConfiguration(statePath: state))?.memorySize == 64 << 20)
        let missing = Environment.run([Self.binary, "/nonexistent/kernel.elf"], timeout: 60)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("LibraryExample: cannot read kernel /nonexistent/kernel.elf"), "\(missing.stderr)")
    }
}
