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

/// The request path that walks the chain in place (no slices, no gathered header).
@Suite struct BlockInPlaceTests {
    @Test func piecesCoverTheRequestedBytesInOrder() {
        let ranges = [GuestRange(start: GuestAddress(0x1000), size: 16), GuestRange(start: GuestAddress(0x2000), size: 0),
                      GuestRange(start: GuestAddress(0x3000), size: 100), GuestRange(start: GuestAddress(0x4000), size: 1)]
        var pieces: [GuestRange] = []
        #expect(ranges.forEachPiece(from: 10, length: 50) { pieces.append($0); return true })
        #expect(pieces == [GuestRange(start: GuestAddress(0x100A), size: 6), GuestRange(start: GuestAddress(0x3000), size: 44)])
        // The same pieces as slice(), which builds an array.
        #expect(pieces == ranges.slice(from: 10, length: 50))
        // Clipped at the run's end; a refused piece stops the walk.
        pieces = []
        #expect(ranges.forEachPiece(from: 110, length: 100) { pieces.append($0); return true })
        #expect(pieces == [GuestRange(start: GuestAddress(0x3000 + 94), size: 6), GuestRange(start: GuestAddress(0x4000), size: 1)])
        var calls = 0
        #expect(!ranges.forEachPiece(from: 0, length: 117) { _ in calls += 1; return false })
        #expect(calls == 1)
    }

    @Test func statusGoesToTheLastByteOfTheWritableRun() {
        let run = [GuestRange(start: GuestAddress(0x4000), size: 512), GuestRange(start: GuestAddress(0x9000), size: 3),
                   GuestRange(start: GuestAddress(0xA000), size: 0)]
        #expect(VirtioBlock.lastByte(of: run) == GuestAddress(0x9002))
        #expect(VirtioBlock.lastByte(of: [GuestRange(start: GuestAddress(0x10), size: 0)]) == nil)
        #expect(VirtioBlock.lastByte(of: []) == nil)
    }

    /// Data in over two descriptors, and a zero-length writable descriptor after the
    /// status byte: the data lands where it belongs and the status in the last byte.
    @Test func readSplitAcrossDescriptorsWithTrailingEmptyDescriptor() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path)
        try f.ring.memory.write([0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0], at: BlockFixture.header)
        try f.ring.memory.write([UInt8](repeating: 0xEE, count: 1024), at: BlockFixture.dataIn)
        try f.ring.memory.write([0xFF], at: BlockFixture.status)
        try f.ring.setDescriptor(0, address: 0x10000, length: 16, flags: Descriptor.flagNext, next: 1)
        try f.ring.setDescriptor(1, address: 0x40000, length: 200, flags: Descriptor.flagNext | Descriptor.flagWrite, next: 2)
        try f.ring.setDescriptor(2, address: 0x40200, length: 312, flags: Descriptor.flagNext | Descriptor.flagWrite, next: 3)
        try f.ring.setDescriptor(3, address: 0x11000, length: 1, flags: Descriptor.flagNext | Descriptor.flagWrite, next: 4)
        try f.ring.setDescriptor(4, address: 0x12000, length: 0, flags: Descriptor.flagWrite)
        try f.ring.publish(0)
        _ = try device.process(queue: &f.queue, index: 0, memory: f.ring.memory)
        #expect(try f.ring.memory.read(at: BlockFixture.status, count: 1) == [BlockRequest.statusOK])
        #expect(try f.ring.memory.read(at: BlockFixture.dataIn, count: 200) == Array(f.fileBytes[1024..<1224]))
        #expect(try f.ring.memory.read(at: GuestAddress(0x40200), count: 312) == Array(f.fileBytes[1224..<1536]))
        #expect(try f.ring.memory.read(at: GuestAddress(0x40000 + 200), count: 1) == [0xEE])  // the gap is untouched
        #expect(try f.ring.usedEntry(f.ring.availIndex - 1).length == 513)
    }

    /// A write whose header and data share the first descriptor, the data continuing
    /// in a second one.
    @Test func writeWithDataAfterTheHeaderInTheSameDescriptor() throws {
        var f = try BlockFixture()
        defer { f.remove() }
        let device = try VirtioBlock(path: f.path)
        let before = f.fileBytes
        let data = (0..<512).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
        try f.ring.memory.write([1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0] + data[0..<100], at: BlockFixture.header)
        try f.ring.memory.write(Array(data[100...]), at: BlockFixture.dataOut)
        try f.ring.setDescriptor(0, address: 0x10000, length: 116, flags: Descriptor.flagNext, next: 1)
        try f.ring.setDescriptor(1, address: 0x20000, length: 412, flags: Descriptor.flagNext, next: 2)
        try f.ring.setDescriptor(2, address: 0x11000, length: 1, flags: Descriptor.flagWrite)
        try f.ring.publish(0)
        _ = try device.process(queue: &f.queue, index: 0, memory: f.ring.memory)
        #expect(try f.ring.memory.read(at: BlockFixture.status, count: 1) == [BlockRequest.statusOK])
        let after = f.fileBytes
        #expect(Array(after[2048..<2560]) == data)
        #expect(after[..<2048] == before[..<2048] && after[2560...] == before[2560...])
    }
}
