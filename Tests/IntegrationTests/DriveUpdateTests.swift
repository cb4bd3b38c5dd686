import Foundation
import Snapshot
import Testing
import VMM

/// `VirtualMachine.updateDrive(index:path:)`: a running guest's disk replaced
/// underneath it (Firecracker's `PATCH /drives/{id}` with `path_on_host`).
@Suite(.serialized, requiresKVM)
struct DriveUpdateTests {
    static func waitFor(_ text: String, in output: CapturedSerialOutput, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if output.text.contains(text) { return true }
            usleep(5_000)
        }
        return false
    }

    /// What `body` threw, in words (VMMError is not Equatable), or nil.
    static func failure(_ body: () throws(VMMError) -> Void) -> String? {
        SnapshotTests.vmmError(body)?.description
    }

    /// A disk of `sectors` sectors of random bytes.
    static func randomDisk(sectors: Int) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-swap-\(UUID().uuidString).img")
        try Data((0..<(sectors * 512)).map { _ in UInt8.random(in: 0...255) }).write(to: url)
        return url
    }

    /// virtio.elf with `swap` checksums its disk, then polls InterruptStatus until a
    /// configuration change, reads ConfigGeneration and the capacity again and
    /// checksums the disk it now finds: the new file's size and bytes.
    @Test func theGuestSeesTheNewDisk() throws {
        let old = try VirtioGuestTests.makeDisk(sectors: 64)
        let new = try Self.randomDisk(sectors: 24)
        defer { for url in [old, new] { try? FileManager.default.removeItem(at: url) } }
        let output = CapturedSerialOutput()
        var configuration = MachineConfiguration()
        configuration.memorySize = 64 << 20
        configuration.serialOutput = output
        configuration.kernel = .file(path: try Environment.guest("virtio.elf"))
        configuration.commandLine = "blk=read need=blk swap"
        configuration.drives = [DriveConfiguration(path: old.path)]
        let machine = try VirtualMachine(configuration: configuration)
        #expect(Self.failure { () throws(VMMError) in try machine.updateDrive(index: 0, path: new.path) }
            == VMMError.invalidState(operation: "update a drive", state: "not started").description)
        try machine.start()
        let waiting = Self.waitFor("virtio-blk: waiting for a configuration change\n", in: output)
        #expect(waiting, "the guest did not get to its wait: \(output.text)")
        guard waiting else { machine.stop(); return }

        let missing = new.path + ".missing"
        #expect(Self.failure { () throws(VMMError) in try machine.updateDrive(index: 1, path: new.path) }
            == VMMError.invalidConfiguration(option: "drive 1", reason: "the VM has drives 0...0").description)
        #expect(Self.failure { () throws(VMMError) in try machine.updateDrive(index: 0, path: missing) }
            == VMMError.invalidConfiguration(option: "drive 0", reason: "open on \(missing) failed: errno \(ENOENT)")
                .description)
        #expect(machine.driveState(index: 0) == DriveState(path: old.path, sectors: 64, readOnly: false,
                                                           configGeneration: 0))
        try machine.updateDrive(index: 0, path: new.path)
        #expect(machine.driveState(index: 0) == DriveState(path: new.path, sectors: 24, readOnly: false,
                                                           configGeneration: 1))
        #expect(machine.drives == [DriveConfiguration(path: new.path)])
        #expect(machine.configuration.drives == [DriveConfiguration(path: old.path)])

        let reason = machine.wait(timeout: 60)
        let text = output.text
        #expect(reason == .debugExit(status: 1), "\(text)")
        let oldSum = VirtioGuestTests.checksum([UInt8](try Data(contentsOf: old)))
        let newSum = VirtioGuestTests.checksum([UInt8](try Data(contentsOf: new)))
        #expect(text.contains("virtio-blk: checksum \(VirtioGuestTests.hex(oldSum)) over 64 sectors\n"), "\(text)")
        #expect(text.contains("virtio-blk: configuration changed: generation 0 -> 1, capacity 24 sectors\n"), "\(text)")
        #expect(text.contains("virtio-blk: checksum \(VirtioGuestTests.hex(newSum)) over 24 sectors\n"), "\(text)")
        #expect(text.hasSuffix("virtio: PASS\n"), "\(text)")
        #expect(Self.failure { () throws(VMMError) in try machine.updateDrive(index: 0, path: old.path) }
            == VMMError.invalidState(operation: "update a drive", state: "stopped").description)
    }

    /// A drive updated while the VM is paused: the snapshot records the new path
    /// and its size, restores over it (the generation included) and the guest
    /// counts on; over the old, larger file it is a mismatch.
    @Test func aSnapshotAfterAnUpdateRecordsTheNewFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-swap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let old = path("old.img"), new = path("new.img")
        #expect(FileManager.default.createFile(atPath: old, contents: Data(count: 1 << 20)))
        #expect(FileManager.default.createFile(atPath: new, contents: Data(count: 1 << 19)))
        let output = CapturedSerialOutput()
        var configuration = try SnapshotTests.configuration()
        configuration.serialOutput = output
        configuration.drives = [DriveConfiguration(path: old)]
        let machine = try VirtualMachine(configuration: configuration)
        try machine.start()
        #expect(SnapshotTests.waitFor("count 3\n", in: output), "the counter did not reach 3: \(output.text)")
        try machine.pause()
        try machine.updateDrive(index: 0, path: new)
        let state = path("vm.state"), memory = path("vm.mem")
        try machine.createSnapshot(statePath: state, memoryPath: memory)
        let last = SnapshotTests.counts(output.text).last ?? 0
        machine.stop()

        var restoring = try VirtualMachine.snapshotConfiguration(statePath: state)
        #expect(restoring.drives == [DriveConfiguration(path: new)])
        restoring.drives = [DriveConfiguration(path: old)]
        let overOld = Self.failure { () throws(VMMError) in
            _ = try VirtualMachine(configuration: restoring, restoringFrom: state, memoryPath: memory)
        }
        #expect(overOld == VMMError.snapshot(.mismatch(what: "size of disk image \(old)", snapshot: "\(1 << 19) bytes",
                                                       machine: "\(1 << 20) bytes")).description)

        restoring.drives = [DriveConfiguration(path: new)]
        let after = CapturedSerialOutput()
        restoring.serialOutput = after
        let restored = try VirtualMachine(configuration: restoring, restoringFrom: state, memoryPath: memory)
        #expect(restored.driveState(index: 0) == DriveState(path: new, sectors: 1024, readOnly: false,
                                                            configGeneration: 1))
        try restored.start()
        let counted = SnapshotTests.waitUntil { SnapshotTests.counts(after.text).count >= 2 }
        restored.stop()
        #expect(counted, "the restored guest printed only: \(after.text)")
        #expect(Array(SnapshotTests.counts(after.text).prefix(2)) == [last + 1, last + 2])
    }
}
