import Foundation
import Memory
import Snapshot
import Testing
@testable import Virtio

private typealias R = VirtioMMIORegister

/// Replacing a live virtio-blk device's backing file
/// (`VirtioMMIODevice.replaceBlockImage(path:)`), driven through the registers.
@Suite struct BlockSwapTests {
    /// A temporary file of `sectors` sectors whose every byte is `fill`.
    static func image(sectors: Int, fill: UInt8) throws -> String {
        let path = NSTemporaryDirectory() + "virtio-blk-swap-\(UUID().uuidString).img"
        guard FileManager.default.createFile(atPath: path, contents: Data(repeating: fill, count: sectors * 512)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return path
    }

    /// A regular file that no one, root included, may open for writing.
    static let unwritable = "/sys/kernel/uevent_seqnum"

    static func capacity(_ rig: SnapshotRig) -> UInt64 { rig.mmio.read(R.config, width: 8) }

    static func read(_ rig: inout SnapshotRig, sector: UInt64) throws -> (status: UInt8, dataIn: [UInt8]) {
        try DeviceSnapshotTests.blockRequest(&rig, type: BlockRequest.typeIn, sector: sector, inLength: 512)
    }

    @Test func swapChangesCapacityGenerationAndRaisesTheConfigInterrupt() throws {
        let fixture = try BlockFixture(sectors: 64)
        let replacement = try Self.image(sectors: 32, fill: 0xB7)
        defer { fixture.remove(); try? FileManager.default.removeItem(atPath: replacement) }
        var rig = SnapshotRig(device: try VirtioBlock(path: fixture.path), rings: [fixture.ring])
        #expect(Self.capacity(rig) == 64)
        #expect(rig.mmio.read32(R.configGeneration) == 0)
        #expect(try Self.read(&rig, sector: 40).dataIn == Array(fixture.fileBytes[(40 * 512)..<(41 * 512)]))
        rig.mmio.write(R.interruptACK, UInt64(R.interruptUsedBuffer))
        let interruptsBefore = rig.interrupts.count

        try rig.transport.replaceBlockImage(path: replacement)

        #expect(Self.capacity(rig) == 32)
        #expect(rig.mmio.read32(R.configGeneration) == 1)
        #expect(rig.mmio.read32(R.interruptStatus) == R.interruptConfigChange)
        #expect(rig.interrupts.count == interruptsBefore + 1)
        #expect(rig.transport.blockImage == BlockImageInfo(path: replacement, sectors: 32, readOnly: false,
                                                           configGeneration: 1))
        let read = try Self.read(&rig, sector: 3)
        #expect(read.status == BlockRequest.statusOK && read.dataIn == [UInt8](repeating: 0xB7, count: 512))
        // Sector 40 was inside the old disk and is outside the new one.
        #expect(try Self.read(&rig, sector: 40).status == BlockRequest.statusIOError)
        // Writes reach the new file; the old one is untouched.
        let before = fixture.fileBytes
        let data = [UInt8](repeating: 0x11, count: 512)
        #expect(try DeviceSnapshotTests.blockRequest(&rig, type: BlockRequest.typeOut, sector: 2, out: data).status
            == BlockRequest.statusOK)
        let after = try [UInt8](Data(contentsOf: URL(fileURLWithPath: replacement)))
        #expect(Array(after[1024..<1536]) == data)
        #expect(fixture.fileBytes == before)

        try rig.transport.replaceBlockImage(path: fixture.path)
        #expect(Self.capacity(rig) == 64 && rig.mmio.read32(R.configGeneration) == 2)
        #expect(rig.log.lines.isEmpty, "\(rig.log.lines)")
    }

    @Test func beforeDriverOKTheConfigChangesWithoutAnInterrupt() throws {
        let fixture = try BlockFixture(sectors: 64)
        let replacement = try Self.image(sectors: 8, fill: 1)
        defer { fixture.remove(); try? FileManager.default.removeItem(atPath: replacement) }
        let interrupts = InterruptCounter()
        let transport = VirtioMMIODevice(device: try VirtioBlock(path: fixture.path), memory: fixture.ring.memory,
                                         interrupt: interrupts, log: LogRecorder().sink)
        try transport.replaceBlockImage(path: replacement)
        let mmio = MMIODriver(device: transport)
        #expect(mmio.read(R.config, width: 8) == 8)
        #expect(mmio.read32(R.configGeneration) == 1)
        #expect(mmio.read32(R.interruptStatus) == 0 && interrupts.count == 0)
    }

    /// Every refused file leaves the old image serving, the generation and
    /// InterruptStatus alone, and names the problem.
    @Test func errorsKeepTheOldImage() throws {
        let fixture = try BlockFixture(sectors: 64)
        let ragged = try BlockFixture(sectors: 2, extraBytes: 100)
        let directory = NSTemporaryDirectory() + "virtio-blk-dir-\(UUID().uuidString)"
        let fifo = NSTemporaryDirectory() + "virtio-blk-fifo-\(UUID().uuidString)"
        let missing = NSTemporaryDirectory() + "virtio-blk-missing-\(UUID().uuidString).img"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        #expect(mkfifo(fifo, 0o600) == 0)
        defer {
            fixture.remove(); ragged.remove()
            for path in [directory, fifo] { try? FileManager.default.removeItem(atPath: path) }
        }
        var rig = SnapshotRig(device: try VirtioBlock(path: fixture.path), rings: [fixture.ring])
        let interruptsBefore = rig.interrupts.count
        var cases: [(String, VirtioError)] = [
            (missing, .hostCallFailed("open", target: missing, errno: ENOENT)),
            (directory, .hostCallFailed("open", target: directory, errno: EISDIR)),  // O_RDWR on a directory
            (fifo, .notADiskImage(path: fifo, kind: "a FIFO")),
            ("/dev/null", .notADiskImage(path: "/dev/null", kind: "a character device")),
            (ragged.path, .imageSizeNotSectorMultiple(path: ragged.path, size: 1124)),
        ]
        // A read-only sysfs attribute, not writable even by root: a read-write drive cannot take it.
        if FileManager.default.fileExists(atPath: Self.unwritable) {
            cases.append((Self.unwritable, .hostCallFailed("open", target: Self.unwritable, errno: EACCES)))
        } else {
            print("errorsKeepTheOldImage: no \(Self.unwritable) (sysfs not mounted); the unwritable-file case is skipped")
        }
        for (path, expected) in cases {
            #expect(throws: expected) { try rig.transport.replaceBlockImage(path: path) }
        }
        #expect(rig.transport.blockImage == BlockImageInfo(path: fixture.path, sectors: 64, readOnly: false,
                                                           configGeneration: 0))
        #expect(rig.mmio.read32(R.configGeneration) == 0 && rig.mmio.read32(R.interruptStatus) == 0)
        #expect(rig.interrupts.count == interruptsBefore)
        #expect(try Self.read(&rig, sector: 40).dataIn == Array(fixture.fileBytes[(40 * 512)..<(41 * 512)]))
        #expect(FileManager.default.fileExists(atPath: missing) == false)
        #expect(VirtioError.notADiskImage(path: fifo, kind: "a FIFO").description
            == "disk image \(fifo) is a FIFO, not a regular file or a block device")
    }

    @Test func aReadOnlyDriveStaysReadOnly() throws {
        let fixture = try BlockFixture(sectors: 64)
        let directory = NSTemporaryDirectory() + "virtio-blk-dir-\(UUID().uuidString)"
        let fifo = NSTemporaryDirectory() + "virtio-blk-fifo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { fixture.remove(); for path in [directory, fifo] { try? FileManager.default.removeItem(atPath: path) } }
        let device = try VirtioBlock(path: fixture.path, readOnly: true)
        var rig = SnapshotRig(device: device, rings: [fixture.ring])
        // O_RDONLY opens a directory and, without O_NONBLOCK, would wait for a FIFO's writer.
        #expect(throws: VirtioError.notADiskImage(path: directory, kind: "a directory")) {
            try rig.transport.replaceBlockImage(path: directory)
        }
        #expect(throws: VirtioError.notADiskImage(path: fifo, kind: "a FIFO")) {
            try rig.transport.replaceBlockImage(path: fifo)
        }
        // A file no one may write is fine for a read-only drive.
        let readable = try Self.image(sectors: 4, fill: 0x33)
        defer { try? FileManager.default.removeItem(atPath: readable) }
        #expect(chmod(readable, 0o444) == 0)
        try rig.transport.replaceBlockImage(path: readable)
        #expect(rig.transport.blockImage == BlockImageInfo(path: readable, sectors: 4, readOnly: true,
                                                           configGeneration: 1))
        #expect(try Self.read(&rig, sector: 3).dataIn == [UInt8](repeating: 0x33, count: 512))
        try rig.transport.replaceBlockImage(path: fixture.path)
        let data = [UInt8](repeating: 0x22, count: 512)
        #expect(try DeviceSnapshotTests.blockRequest(&rig, type: BlockRequest.typeOut, sector: 1, out: data).status
            == BlockRequest.statusIOError)
        #expect(device.features & BlockRequest.featureReadOnly != 0)
        #expect(rig.transport.blockImage?.readOnly == true)
    }

    @Test func onlyABlockDeviceTakesAnImage() throws {
        let ring = try TestDriver(size: 8)
        let transport = VirtioMMIODevice(device: VirtioRNG(), memory: ring.memory, interrupt: InterruptCounter(),
                                         log: LogRecorder().sink)
        #expect(throws: VirtioError.notABlockDevice(device: "virtio-rng")) {
            try transport.replaceBlockImage(path: "/dev/null")
        }
        #expect(transport.blockImage == nil)
    }

    /// A snapshot after a swap carries the new size and generation: it restores
    /// onto a device over the new file (generation included), not the old one.
    @Test func snapshotAfterASwapRestoresOntoTheNewFile() throws {
        let fixture = try BlockFixture(sectors: 64)
        let replacement = try Self.image(sectors: 32, fill: 0x5C)
        defer { fixture.remove(); try? FileManager.default.removeItem(atPath: replacement) }
        var rig = SnapshotRig(device: try VirtioBlock(path: fixture.path), rings: [fixture.ring])
        _ = try Self.read(&rig, sector: 0)
        try rig.transport.replaceBlockImage(path: replacement)
        let saved = rig.save()
        #expect(try SavedTransport(saved).configGeneration == 1)

        let onOld = SnapshotRig.restoreError(saved, onto: try VirtioBlock(path: fixture.path), memory: rig.memory)
        #expect(onOld == .mismatch(what: "size of disk image \(fixture.path)", snapshot: "16384 bytes",
                                   machine: "32768 bytes"))
        var restored = try rig.restored(onto: try VirtioBlock(path: replacement), state: saved)
        #expect(restored.mmio.read32(R.configGeneration) == 1)
        #expect(restored.save() == saved)
        #expect(try Self.read(&restored, sector: 31).dataIn == [UInt8](repeating: 0x5C, count: 512))
    }
}
