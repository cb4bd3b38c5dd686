import Foundation
import Snapshot
import Testing
import VMM

/// Snapshots of the counter guest (Guests/multiboot/counter.c: "count N" every
/// `every` ticks of a 100 Hz PIT through the PIC and the local APIC): a restored
/// VM must go on counting where the snapshot was taken, with no repeat and no gap.
@Suite(.serialized, requiresKVM)
struct SnapshotTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-vmm-snap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func configuration(memory: UInt64 = 128 << 20, tracking: Bool = false) throws -> MachineConfiguration {
        var configuration = MachineConfiguration()
        configuration.memorySize = memory
        configuration.kernel = .file(path: try Environment.guest("counter.elf"))
        configuration.commandLine = "every=5"
        configuration.trackDirtyPages = tracking
        return configuration
    }

    /// Waits until `output` holds `text` (or the deadline passes).
    static func waitFor(_ text: String, in output: CapturedSerialOutput, seconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if output.text.contains(text) { return true }
            usleep(5_000)
        }
        return false
    }

    /// The numbers of the "count N" lines in `text`.
    static func counts(_ text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            line.hasPrefix("count ") ? Int(line.dropFirst(6)) : nil
        }
    }

    /// Boots the counter, waits for "count 3", pauses and returns the paused VM.
    func pausedCounter(tracking: Bool = false, memory: UInt64 = 128 << 20) throws
        -> (VirtualMachine, CapturedSerialOutput)
    {
        let output = CapturedSerialOutput()
        var configuration = try Self.configuration(memory: memory, tracking: tracking)
        configuration.serialOutput = output
        let start = Date()
        let machine = try VirtualMachine(configuration: configuration)
        print("boot build for comparison (\(memory >> 20) MiB): "
            + String(format: "%.1f ms", Date().timeIntervalSince(start) * 1000))
        try machine.start()
        #expect(Self.waitFor("count 3\n", in: output), "the counter did not reach 3: \(output.text)")
        try machine.pause()
        return (machine, output)
    }

    /// Restores into a new VM with its own serial output and collects two more lines.
    func restoreAndCount(state: String, memory: String, lines: Int = 2) throws -> [Int] {
        let output = CapturedSerialOutput()
        var configuration = try VirtualMachine.snapshotConfiguration(statePath: state)
        configuration.serialOutput = output
        let start = Date()
        let restored = try VirtualMachine(configuration: configuration, restoringFrom: state, memoryPath: memory)
        print("snapshot restore (\(configuration.memorySize >> 20) MiB): "
            + String(format: "%.1f ms", Date().timeIntervalSince(start) * 1000))
        try restored.start()
        let seen = Self.waitFor("\n", in: output) && Self.waitUntil { Self.counts(output.text).count >= lines }
        restored.requestStop(.stopRequested)
        restored.wait()
        #expect(seen, "the restored guest printed only: \(output.text)")
        return Self.counts(output.text)
    }

    static func waitUntil(seconds: Double = 20, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return false
    }

    @Test func fullSnapshotContinuesCounting() throws {
        for memory: UInt64 in [128 << 20, 256 << 20] {
            let (machine, output) = try pausedCounter(memory: memory)
            let state = path("full-\(memory).state"), mem = path("full-\(memory).mem")
            let start = Date()
            try machine.createSnapshot(statePath: state, memoryPath: mem)
            print("snapshot create (\(memory >> 20) MiB, full): "
                + String(format: "%.1f ms", Date().timeIntervalSince(start) * 1000))
            let last = Self.counts(output.text).last ?? 0
            machine.requestStop(.stopRequested)
            machine.wait()
            let next = try restoreAndCount(state: state, memory: mem)
            #expect(Array(next.prefix(2)) == [last + 1, last + 2], "before: \(last), after restore: \(next)")
        }
    }

    /// A machine with every kind of virtio device and a second vCPU (an AP still
    /// waiting for INIT/SIPI): every section round-trips and the counter goes on.
    @Test func machineWithDevicesAndTwoVCPUsContinues() throws {
        let disk = path("disk.img")
        #expect(FileManager.default.createFile(atPath: disk, contents: Data(count: 1 << 20)))
        let output = CapturedSerialOutput()
        var configuration = try Self.configuration()
        configuration.serialOutput = output
        configuration.vcpuCount = 2
        configuration.drives = [DriveConfiguration(path: disk)]
        configuration.rng = true
        configuration.virtioConsole = true
        configuration.vsock = VsockConfiguration(guestCID: 3, udsPath: path("vsock.sock"))
        let machine = try VirtualMachine(configuration: configuration)
        try machine.start()
        #expect(Self.waitFor("count 3\n", in: output), "the counter did not reach 3: \(output.text)")
        try machine.pause()
        let state = path("devices.state"), mem = path("devices.mem")
        try machine.createSnapshot(statePath: state, memoryPath: mem)
        let last = Self.counts(output.text).last ?? 0
        machine.requestStop(.stopRequested)
        machine.wait()
        let saved = try StateFile(decoding: [UInt8](Data(contentsOf: URL(fileURLWithPath: state))))
        let names = Set(saved.sections.map(\.name))
        for index in 0..<4 { #expect(names.contains("virtio.\(index)"), "sections: \(names.sorted())") }
        let next = try restoreAndCount(state: state, memory: mem)
        #expect(Array(next.prefix(2)) == [last + 1, last + 2], "before: \(last), after restore: \(next)")
    }

    @Test func diffSnapshotIsSmallAndRebasesOntoTheFull() throws {
        let (machine, output) = try pausedCounter(tracking: true)
        let state = path("base.state"), full = path("base.mem")
        try machine.createSnapshot(statePath: state, memoryPath: full)
        machine.resume()
        let before = Self.counts(output.text).last ?? 0
        #expect(Self.waitUntil { (Self.counts(output.text).last ?? 0) >= before + 2 })
        try machine.pause()
        let diffState = path("diff.state"), diff = path("diff.mem")
        let start = Date()
        try machine.createSnapshot(statePath: diffState, memoryPath: diff, kind: .diff)
        print("snapshot create (128 MiB, diff): " + String(format: "%.1f ms", Date().timeIntervalSince(start) * 1000))
        let last = Self.counts(output.text).last ?? 0
        machine.requestStop(.stopRequested)
        machine.wait()

        let fullBlocks = try Self.allocatedBytes(full), diffBlocks = try Self.allocatedBytes(diff)
        print("memory files: full \(fullBlocks >> 10) KiB allocated, diff \(diffBlocks >> 10) KiB")
        #expect(try FileManager.default.attributesOfItem(atPath: diff)[.size] as? UInt64 == 128 << 20)
        #expect(diffBlocks * 4 < fullBlocks, "diff \(diffBlocks) bytes vs full \(fullBlocks) (zero pages are holes in both)")

        let rebased = path("rebased.mem")
        try FileManager.default.copyItem(atPath: full, toPath: rebased)
        try MemorySnapshot.rebase(diff: diff, onto: rebased)
        let next = try restoreAndCount(state: diffState, memory: rebased)
        #expect(Array(next.prefix(2)) == [last + 1, last + 2], "before: \(last), after restore: \(next)")
    }

    static func allocatedBytes(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
        return Int(info.st_blocks) * 512
    }

    // MARK: errors

    /// A snapshot of a paused counter, for the error tests.
    func snapshotFiles(_ name: String) throws -> (state: String, memory: String) {
        let (machine, _) = try pausedCounter()
        let files = (path("\(name).state"), path("\(name).mem"))
        try machine.createSnapshot(statePath: files.0, memoryPath: files.1)
        machine.requestStop(.stopRequested)
        machine.wait()
        return files
    }

    static func snapshotError(_ body: () throws(VMMError) -> Void) -> SnapshotError? {
        guard let error = vmmError(body) else { return nil }
        if case .snapshot(let inner) = error { return inner }
        Issue.record("expected a snapshot error, got \(error)")
        return nil
    }

    @Test func rejectsCorruptTruncatedAndMismatchedSnapshots() throws {
        let files = try snapshotFiles("errors")
        var configuration = try VirtualMachine.snapshotConfiguration(statePath: files.state)
        configuration.serialOutput = CapturedSerialOutput()

        // A flipped byte in the state file: the checksum catches it.
        let flipped = path("flipped.state")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: files.state)))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: flipped))
        let checksum = Self.snapshotError { () throws(VMMError) in
            _ = try VirtualMachine(configuration: configuration, restoringFrom: flipped, memoryPath: files.memory)
        }
        guard case .checksumMismatch = checksum else {
            Issue.record("flipped byte: \(String(describing: checksum))")
            return
        }

        // A memory file one page short.
        let short = path("short.mem")
        try FileManager.default.copyItem(atPath: files.memory, toPath: short)
        #expect(truncate(short, off_t(configuration.memorySize - 4096)) == 0)
        let size = Self.snapshotError { () throws(VMMError) in
            _ = try VirtualMachine(configuration: configuration, restoringFrom: files.state, memoryPath: short)
        }
        guard case .mismatch(let what, _, _) = size, what.contains("memory file size") else {
            Issue.record("short memory file: \(String(describing: size))")
            return
        }

        // A configuration with another vCPU count than the snapshot's.
        var twoCPUs = configuration
        twoCPUs.vcpuCount = 2
        let cpus = Self.snapshotError { () throws(VMMError) in
            _ = try VirtualMachine(configuration: twoCPUs, restoringFrom: files.state, memoryPath: files.memory)
        }
        guard case .mismatch(let cpuWhat, let saved, let here) = cpus else {
            Issue.record("vCPU count: \(String(describing: cpus))")
            return
        }
        #expect(cpuWhat.contains("vCPU") && saved == "1" && here == "2")

        // A configuration without the ACPI hardware the snapshot has.
        var noACPI = configuration
        noACPI.acpi = false
        let acpi = Self.snapshotError { () throws(VMMError) in
            _ = try VirtualMachine(configuration: noACPI, restoringFrom: files.state, memoryPath: files.memory)
        }
        guard case .mismatch(let acpiWhat, _, _) = acpi, acpiWhat.contains("ACPI") else {
            Issue.record("ACPI off: \(String(describing: acpi))")
            return
        }
    }

    @Test func snapshotNeedsAPausedVMAndTrackingForDiffs() throws {
        let output = CapturedSerialOutput()
        var configuration = try Self.configuration()
        configuration.serialOutput = output
        let machine = try VirtualMachine(configuration: configuration)
        try machine.start()
        #expect(Self.waitFor("count 1\n", in: output))
        let running = Self.vmmError { () throws(VMMError) in
            try machine.createSnapshot(statePath: path("running.state"), memoryPath: path("running.mem"))
        }
        if case .invalidState(_, let state) = running {
            #expect(state.contains("running"))
        } else {
            Issue.record("snapshot of a running VM: \(String(describing: running))")
        }
        try machine.pause()
        let diff = Self.snapshotError { () throws(VMMError) in
            try machine.createSnapshot(statePath: path("d.state"), memoryPath: path("d.mem"), kind: .diff)
        }
        machine.requestStop(.stopRequested)
        machine.wait()
        if case .unsupported(let detail) = diff {
            #expect(detail.contains("trackDirtyPages"))
        } else {
            Issue.record("diff without tracking: \(String(describing: diff))")
        }
    }

    static func vmmError(_ body: () throws(VMMError) -> Void) -> VMMError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }
}
