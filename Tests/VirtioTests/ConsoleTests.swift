import Devices
import Memory
import Synchronization
import Testing
@testable import Virtio

/// Collects what the guest transmits.
final class OutputRecorder: SerialOutput {
    private let storage = Mutex<[UInt8]>([])
    var bytes: [UInt8] { storage.withLock { $0 } }
    func write(byte: UInt8) { storage.withLock { $0.append(byte) } }
}

@Suite struct ConsoleTests {
    @Test func transmitQueueGoesToTheOutput() throws {
        var ring = try TestDriver()
        try ring.memory.write(Array("hello, ".utf8), at: GuestAddress(0x10000))
        try ring.memory.write(Array("world".utf8), at: GuestAddress(0x20000))
        try ring.setDescriptor(0, address: 0x10000, length: 7, flags: Descriptor.flagNext, next: 1)
        try ring.setDescriptor(1, address: 0x20000, length: 5)
        try ring.publish(0)
        var queue = ring.queue()
        let output = OutputRecorder()
        let console = VirtioConsole(output: output)
        #expect(try console.process(queue: &queue, index: VirtioConsole.transmitQueue, memory: ring.memory))
        #expect(output.bytes == Array("hello, world".utf8))
        #expect(try ring.usedEntry(0) == (0, 0))
    }

    @Test func inputWaitsForReceiveBuffers() throws {
        var ring = try TestDriver()
        var queue = ring.queue()
        let console = VirtioConsole(output: OutputRecorder())
        #expect(console.receive(Array("abc".utf8)) == 3)
        #expect(try !console.process(queue: &queue, index: VirtioConsole.receiveQueue, memory: ring.memory))
        #expect(console.pendingInput == 3)
        try ring.setDescriptor(0, address: 0x10000, length: 2, flags: Descriptor.flagWrite)
        try ring.setDescriptor(1, address: 0x20000, length: 8, flags: Descriptor.flagWrite)
        try ring.publish(0)
        _ = try console.process(queue: &queue, index: VirtioConsole.receiveQueue, memory: ring.memory)
        #expect(try ring.usedEntry(0) == (0, 2))
        #expect(try ring.memory.read(at: GuestAddress(0x10000), count: 2) == Array("ab".utf8))
        try ring.publish(1)
        _ = try console.process(queue: &queue, index: VirtioConsole.receiveQueue, memory: ring.memory)
        #expect(try ring.usedEntry(1) == (1, 1))
        #expect(try ring.memory.read(at: GuestAddress(0x20000), count: 1) == Array("c".utf8))
        #expect(console.pendingInput == 0)
        // A buffer with no input waiting stays with the device.
        try ring.publish(1)
        _ = try console.process(queue: &queue, index: VirtioConsole.receiveQueue, memory: ring.memory)
        #expect(try ring.usedIndex() == 2)
    }

    @Test func inputIsBounded() {
        let console = VirtioConsole(output: OutputRecorder())
        let big = [UInt8](repeating: 1, count: VirtioConsole.inputCapacity + 10)
        #expect(console.receive(big) == VirtioConsole.inputCapacity)
        #expect(console.receive([1]) == 0)
    }

    @Test func inputArrivingLaterIsDeliveredThroughTheTransport() throws {
        let receive = try TestDriver(size: 8)
        let transmit = try TestDriver(size: 8, memory: receive.memory, base: 0x8000)
        var receiveRing = receive
        let console = VirtioConsole(output: OutputRecorder())
        let interrupts = InterruptCounter()
        let mmio = MMIODriver(device: VirtioMMIODevice(
            device: console, memory: receive.memory, interrupt: interrupts, log: LogRecorder().sink))
        #expect(mmio.negotiate(VirtioFeature.version1))
        mmio.setUpQueue(0, receiveRing)
        mmio.setUpQueue(1, transmit)
        mmio.driverOK()
        try receiveRing.setDescriptor(0, address: 0x10000, length: 16, flags: Descriptor.flagWrite)
        try receiveRing.publish(0)
        mmio.write(VirtioMMIORegister.queueNotify, 0)
        #expect(try receiveRing.usedIndex() == 0)  // nothing to deliver yet
        console.receive(Array("hi".utf8))  // the device asks the transport to serve queue 0
        #expect(try receiveRing.usedEntry(0) == (0, 2))
        #expect(try receive.memory.read(at: GuestAddress(0x10000), count: 2) == Array("hi".utf8))
        #expect(interrupts.count == 1)
    }
}
