import Memory
import Testing
@testable import Virtio

private let next = Descriptor.flagNext
private let write = Descriptor.flagWrite
private let indirect = Descriptor.flagIndirect
private let indirectTable = GuestAddress(0x8000)

@Suite struct VirtqueueTests {
    @Test func popsAChainOfReadableThenWritableBuffers() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: 0x10000, length: 16, flags: next, next: 1)
        try driver.setDescriptor(1, address: 0x11000, length: 512, flags: next | write, next: 2)
        try driver.setDescriptor(2, address: 0x12000, length: 1, flags: write)
        try driver.publish(0)
        var queue = driver.queue()
        let chain = try #require(try queue.pop())
        #expect(chain.head == 0)
        #expect(chain.readable == [GuestRange(start: GuestAddress(0x10000), size: 16)])
        #expect(chain.writable == [
            GuestRange(start: GuestAddress(0x11000), size: 512), GuestRange(start: GuestAddress(0x12000), size: 1),
        ])
        #expect(chain.writableLength == 513)
        #expect(try queue.pop() == nil)
    }

    @Test func addUsedWritesTheEntryThenTheIndexAndWrapsTheRing() throws {
        var driver = try TestDriver(size: 4)
        try driver.setDescriptor(3, address: 0x10000, length: 8, flags: write)
        var queue = driver.queue()
        for round in 0..<6 {
            try driver.publish(3)
            let chain = try #require(try queue.pop())
            try queue.addUsed(head: chain.head, length: UInt32(round))
            #expect(try driver.usedIndex() == UInt16(round + 1))
            #expect(try driver.usedEntry(UInt16(round)) == (3, UInt32(round)))
        }
        #expect(throws: VirtioError.usedHeadOutOfRange(head: 4, size: 4)) { try queue.addUsed(head: 4, length: 0) }
    }

    @Test func indirectTableIsWalked() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: 0x10000, length: 16, flags: next, next: 1, table: indirectTable)
        try driver.setDescriptor(1, address: 0x11000, length: 64, flags: write | next, next: 2, table: indirectTable)
        try driver.setDescriptor(2, address: 0x12000, length: 1, flags: write, table: indirectTable)
        try driver.setDescriptor(0, address: indirectTable.rawValue, length: 48, flags: indirect)
        try driver.publish(0)
        var queue = driver.queue(indirect: true)
        let chain = try #require(try queue.pop())
        #expect(chain.readable.map(\.start.rawValue) == [0x10000])
        #expect(chain.writable.map(\.start.rawValue) == [0x11000, 0x12000])
    }

    @Test func directDescriptorsMayEndInAnIndirectTable() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: 0x10000, length: 16, flags: next, next: 5)
        try driver.setDescriptor(5, address: indirectTable.rawValue, length: 16, flags: indirect)
        try driver.setDescriptor(0, address: 0x12000, length: 4, flags: write, table: indirectTable)
        try driver.publish(0)
        var queue = driver.queue(indirect: true)
        let chain = try #require(try queue.pop())
        #expect(chain.readable.map(\.start.rawValue) == [0x10000])
        #expect(chain.writable.map(\.start.rawValue) == [0x12000])
    }

    /// Pops the chain at head 0 and returns the error it raises.
    private func popError(_ driver: inout TestDriver, indirect: Bool = true, eventIndex: Bool = false) throws
        -> VirtioError?
    {
        try driver.publish(0)
        var queue = driver.queue(eventIndex: eventIndex, indirect: indirect)
        do {
            _ = try queue.pop()
            return nil
        } catch {
            return error
        }
    }

    @Test func indirectNeedsTheFeature() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: indirectTable.rawValue, length: 16, flags: indirect)
        #expect(try popError(&driver, indirect: false) == .indirectNotNegotiated(index: 0))
    }

    @Test func nestedIndirectIsRefused() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: indirectTable.rawValue, length: 32, flags: indirect)
        try driver.setDescriptor(0, address: 0x10000, length: 16, flags: next, next: 1, table: indirectTable)
        try driver.setDescriptor(1, address: 0x9000, length: 16, flags: indirect, table: indirectTable)
        #expect(try popError(&driver) == .nestedIndirect(index: 1))
    }

    @Test func indirectWithNextIsRefused() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: indirectTable.rawValue, length: 16, flags: indirect | next, next: 1)
        #expect(try popError(&driver) == .indirectWithNext(index: 0))
    }

    @Test(arguments: [UInt32(0), 24, 17, (DescriptorChain.maxIndirectEntries + 1) * 16])
    func indirectLengthMustBeWholeDescriptors(length: UInt32) throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: indirectTable.rawValue, length: length, flags: indirect)
        #expect(try popError(&driver) == .invalidIndirectLength(index: 0, length: length))
    }

    @Test func loopIsDetected() throws {
        var driver = try TestDriver(size: 8)
        try driver.setDescriptor(0, address: 0x10000, length: 16, flags: next, next: 1)
        try driver.setDescriptor(1, address: 0x10000, length: 16, flags: next, next: 0)
        #expect(try popError(&driver) == .descriptorLoop(head: 0, limit: 8))
    }

    @Test func loopInsideAnIndirectTableIsDetected() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: indirectTable.rawValue, length: 32, flags: indirect)
        try driver.setDescriptor(0, address: 0x10000, length: 16, flags: next, next: 1, table: indirectTable)
        try driver.setDescriptor(1, address: 0x10000, length: 16, flags: next, next: 1, table: indirectTable)
        #expect(try popError(&driver) == .descriptorLoop(head: 0, limit: 2))
    }

    @Test func nextBeyondTheTableIsRefused() throws {
        var driver = try TestDriver(size: 8)
        try driver.setDescriptor(0, address: 0x10000, length: 16, flags: next, next: 8)
        #expect(try popError(&driver) == .descriptorIndexOutOfRange(index: 8, tableSize: 8))
    }

    @Test func bufferOutsideRAMIsRefused() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: TestDriver.memorySize - 8, length: 16, flags: write)
        #expect(try popError(&driver) == .bufferOutsideMemory(
            index: 0, address: GuestAddress(TestDriver.memorySize - 8), length: 16))
    }

    @Test func bufferWrappingPast2To64IsRefused() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: UInt64.max - 3, length: 16)
        #expect(try popError(&driver) == .bufferOverflow(index: 0, address: GuestAddress(UInt64.max - 3), length: 16))
    }

    @Test func readableAfterWritableIsRefused() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: 0x10000, length: 16, flags: write | next, next: 1)
        try driver.setDescriptor(1, address: 0x11000, length: 16)
        #expect(try popError(&driver) == .readableAfterWritable(index: 1))
    }

    @Test func totalLengthBeyond32BitsIsRefused() throws {
        var driver = try TestDriver()
        let entries = UInt16(DescriptorChain.maxIndirectEntries)
        for index in 0..<entries {
            try driver.setDescriptor(
                index, address: 0, length: UInt32(TestDriver.memorySize), flags: write | next, next: index + 1,
                table: GuestAddress(0x100000))
        }
        try driver.setDescriptor(0, address: 0x100000, length: UInt32(entries) * 16, flags: indirect)
        // 1024 buffers of 4 MiB reach 2^32 on the last one.
        #expect(try popError(&driver) == .chainLengthOverflow(head: 0, total: 1 << 32))
    }

    @Test func headBeyondTheQueueIsRefused() throws {
        var driver = try TestDriver(size: 8)
        try driver.publish(8)
        var queue = driver.queue()
        #expect(throws: VirtioError.headOutOfRange(head: 8, size: 8)) { try queue.pop() }
    }

    @Test func availIndexRunningAheadIsRefused() throws {
        let driver = try TestDriver(size: 8)
        try driver.setAvailIndex(9)
        var queue = driver.queue()
        #expect(throws: VirtioError.availIndexTooFar(availIndex: 9, lastSeen: 0, size: 8)) { try queue.pop() }
    }

    @Test func queueMustBeReady() throws {
        let driver = try TestDriver()
        var queue = driver.queue()
        queue.ready = false
        #expect(throws: VirtioError.queueNotReady) { try queue.pop() }
        #expect(throws: VirtioError.queueNotReady) { try queue.addUsed(head: 0, length: 0) }
    }

    @Test(arguments: [UInt16(0), 3, 12, 512])
    func illegalSizesFailValidation(size: UInt16) throws {
        let driver = try TestDriver(size: size)
        #expect(throws: VirtioError.invalidQueueSize(size, max: 256)) { try driver.queue(maxSize: 256).validate() }
    }

    @Test func ringsMustBeAlignedAndInsideRAM() throws {
        let driver = try TestDriver()
        try driver.queue().validate()
        var queue = driver.queue()
        queue.descriptorTable = GuestAddress(0x1008)
        #expect(throws: VirtioError.misalignedRing("descriptor table", address: GuestAddress(0x1008), alignment: 16)) {
            try queue.validate()
        }
        queue = driver.queue()
        queue.deviceArea = GuestAddress(0x4002)
        #expect(throws: VirtioError.misalignedRing("device area", address: GuestAddress(0x4002), alignment: 4)) {
            try queue.validate()
        }
        queue = driver.queue()
        queue.driverArea = GuestAddress(TestDriver.memorySize - 8)
        #expect(throws: VirtioError.ringOutsideMemory(
            "driver area", address: GuestAddress(TestDriver.memorySize - 8), length: 6 + 2 * 16)) {
            try queue.validate()
        }
    }
}
