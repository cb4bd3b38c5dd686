import Foundation
import Memory
import Testing
@testable import Virtio

private typealias Block = BlockRequest

@Suite struct BlockTests {
    @Test func imageSizeMustBeWholeSectors() throws {
        let f = try BlockFixture(sectors: 2, extraBytes: 100)
        defer { f.remove() }
        #expect(throws: VirtioError.imageSizeNotSectorMultiple(path: f.path, size: 1124)) {
            try VirtioBlock(path: f.path)
        }
    }

    @Test func missingImageIsNotCreated() throws {
        let path = NSTemporaryDirectory() + "virtio-blk-missing-\(UUID().uuidString).img"
        #expect(throws: VirtioError.hostCallFailed("open", target: path, errno: ENOENT)) { try VirtioBlock(path: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func configHoldsCapacityAndDiscardLimits() throws {
        let f = try BlockFixture(sectors: 64)
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path)
        let config = (0..<48).map { device.readConfig(at: $0) }
        #expect(config[0..<8] == [64, 0, 0, 0, 0, 0, 0, 0])
        #expect(config[12] == 254)  // seg_max
        #expect(config[36..<40] == [0, 0, 0x40, 0])  // max_discard_sectors 2^22
        #expect(config[40] == 1 && config[44] == 8)
        #expect(device.features & Block.featureDiscard != 0)
        #expect(device.features & Block.featureReadOnly == 0)
    }

    @Test func readReturnsTheImageBytes() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path)
        let result = try f.submit(device, type: Block.typeIn, sector: 3, inLength: 1024)
        #expect(result.status == Block.statusOK)
        #expect(result.used == 1025)
        #expect(result.dataIn == Array(f.fileBytes[1536..<2560]))
    }

    @Test func writeReachesTheFileAndNothingElse() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path)
        let before = f.fileBytes
        let data = [UInt8](repeating: 0x5A, count: 1024)
        let result = try f.submit(device, type: Block.typeOut, sector: 62, out: data)
        #expect(result.status == Block.statusOK)
        #expect(result.used == 1)
        let after = f.fileBytes
        #expect(after.count == before.count)
        #expect(Array(after[(62 * 512)...]) == data)
        #expect(after[..<(62 * 512)] == before[..<(62 * 512)])
    }

    @Test func flushSucceeds() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let result = try f.submit(try VirtioBlock(path: f.path), type: Block.typeFlush, sector: 0)
        #expect(result.status == Block.statusOK)
    }

    @Test func getIDReturnsTheSerialPadded() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path, serial: "disk-7")
        let result = try f.submit(device, type: Block.typeGetID, sector: 0, inLength: 20)
        #expect(result.status == Block.statusOK)
        #expect(result.dataIn == Array("disk-7".utf8) + [UInt8](repeating: 0, count: 14))
        #expect(result.used == 21)
    }

    /// A discard request body: one segment.
    private func segment(sector: UInt64, count: UInt32, flags: UInt32 = 0) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: sector >> (8 * UInt64($0))) }
            + (0..<4).map { UInt8(truncatingIfNeeded: count >> (8 * UInt32($0))) }
            + (0..<4).map { UInt8(truncatingIfNeeded: flags >> (8 * UInt32($0))) }
    }

    @Test func discardZeroesTheRangeAndKeepsTheSize() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path)
        let before = f.fileBytes
        let result = try f.submit(device, type: Block.typeDiscard, sector: 8, out: segment(sector: 8, count: 16))
        #expect(result.status == Block.statusOK)
        let after = f.fileBytes
        #expect(after.count == before.count)
        #expect(after[4096..<12288].allSatisfy { $0 == 0 })
        #expect(after[..<4096] == before[..<4096])
        #expect(after[12288...] == before[12288...])
    }

    @Test func discardWithFlagsOrOutOfRangeTouchesNothing() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path)
        let before = f.fileBytes
        let unmap = try f.submit(device, type: Block.typeDiscard, sector: 0, out: segment(sector: 0, count: 8, flags: 1))
        #expect(unmap.status == Block.statusUnsupported)
        let beyond = try f.submit(device, type: Block.typeDiscard, sector: 0, out: segment(sector: 60, count: 8))
        #expect(beyond.status == Block.statusIOError)
        let two = try f.submit(device, type: Block.typeDiscard, sector: 0,
                               out: segment(sector: 0, count: 8) + segment(sector: 8, count: 8))
        #expect(two.status == Block.statusIOError)  // more than max_discard_seg
        let unchanged = f.fileBytes == before
        #expect(unchanged, "image changed")
    }

    @Test func readOnlyImageIsNeverWritten() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path, readOnly: true)
        #expect(device.features & Block.featureReadOnly != 0)
        #expect(device.features & Block.featureDiscard == 0)
        let before = f.fileBytes
        let write = try f.submit(device, type: Block.typeOut, sector: 0, out: [UInt8](repeating: 1, count: 512))
        #expect(write.status == Block.statusIOError)
        let discard = try f.submit(device, type: Block.typeDiscard, sector: 0, out: segment(sector: 0, count: 8))
        #expect(discard.status == Block.statusUnsupported)
        let read = try f.submit(device, type: Block.typeIn, sector: 0, inLength: 512)
        #expect(read.status == Block.statusOK)
        let unchanged = f.fileBytes == before
        #expect(unchanged, "image changed")
    }

    @Test func requestsBeyondCapacityTouchNothing() throws {
        var f = try BlockFixture(sectors: 64)
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path)
        let before = f.fileBytes
        let write = try f.submit(device, type: Block.typeOut, sector: 63, out: [UInt8](repeating: 1, count: 1024))
        #expect(write.status == Block.statusIOError)
        let huge = try f.submit(device, type: Block.typeOut, sector: UInt64.max / 256, out: [UInt8](repeating: 1, count: 512))
        #expect(huge.status == Block.statusIOError)
        let read = try f.submit(device, type: Block.typeIn, sector: 64, inLength: 512)
        #expect(read.status == Block.statusIOError)
        #expect(read.dataIn.allSatisfy { $0 == 0xEE })
        #expect(read.used == 1)
        let unchanged = f.fileBytes == before
        #expect(unchanged, "image changed")
    }

    @Test func partialSectorsAndUnknownTypesFail() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path)
        let before = f.fileBytes
        #expect(try f.submit(device, type: Block.typeOut, sector: 0, out: [1, 2, 3]).status == Block.statusIOError)
        #expect(try f.submit(device, type: Block.typeIn, sector: 0, inLength: 100).status == Block.statusIOError)
        #expect(try f.submit(device, type: 99, sector: 0).status == Block.statusUnsupported)
        let unchanged = f.fileBytes == before
        #expect(unchanged, "image changed")
    }

    @Test func headerSplitAcrossDescriptorsIsRead() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path)
        // Header as 4 + 12 bytes, then 512 bytes in, then the status.
        try f.ring.memory.write([0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0], at: BlockFixture.header)
        try f.ring.setDescriptor(0, address: 0x10000, length: 4, flags: Descriptor.flagNext, next: 1)
        try f.ring.setDescriptor(1, address: 0x10004, length: 12, flags: Descriptor.flagNext, next: 2)
        try f.ring.setDescriptor(2, address: 0x40000, length: 512, flags: Descriptor.flagNext | Descriptor.flagWrite, next: 3)
        try f.ring.setDescriptor(3, address: 0x11000, length: 1, flags: Descriptor.flagWrite)
        try f.ring.publish(0)
        _ = try device.process(queue: &f.queue, index: 0, memory: f.ring.memory)
        #expect(try f.ring.memory.read(at: BlockFixture.status, count: 1) == [0])
        #expect(try f.ring.memory.read(at: BlockFixture.dataIn, count: 512) == Array(f.fileBytes[2560..<3072]))
    }

    @Test func shortHeaderIsAnIOError() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path)
        try f.ring.setDescriptor(0, address: 0x10000, length: 8, flags: Descriptor.flagNext, next: 1)
        try f.ring.setDescriptor(1, address: 0x11000, length: 1, flags: Descriptor.flagWrite)
        try f.ring.memory.write([0xFF], at: BlockFixture.status)
        try f.ring.publish(0)
        _ = try device.process(queue: &f.queue, index: 0, memory: f.ring.memory)
        #expect(try f.ring.memory.read(at: BlockFixture.status, count: 1) == [Block.statusIOError])
    }
}
