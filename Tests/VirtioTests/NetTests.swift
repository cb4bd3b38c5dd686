import Memory
import Testing
@testable import Virtio

@Suite struct NetTests {
    static let mac: [UInt8] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55]
    static let header = [UInt8](repeating: 0, count: NetHeader.size)
    /// The header of every received frame: zero but num_buffers = 1.
    static let receivedHeader: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]

    /// A frame of `count` bytes whose content depends on `seed`.
    static func frame(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
    }

    /// A device with a fake back end whose log goes to a recorder.
    static func makeDevice() -> (VirtioNet, FakeNetBackend, LogRecorder) {
        let backend = FakeNetBackend()
        let net = VirtioNet(backend: backend, mac: mac)
        let log = LogRecorder()
        net.setLog(log.sink)
        return (net, backend, log)
    }

    /// Posts a device-writable receive buffer of `length` bytes at `address` as descriptor `index`.
    static func postReceive(_ ring: inout TestDriver, _ index: UInt16, address: UInt64, length: UInt32) throws {
        try ring.setDescriptor(index, address: address, length: length, flags: Descriptor.flagWrite)
        try ring.publish(index)
    }

    @Test func configurationSpaceHoldsTheMACAndLinkUp() {
        let (net, _, _) = Self.makeDevice()
        #expect(net.deviceID == 1)
        #expect(net.queueCount == 2)
        #expect(net.features == VirtioNet.featureMAC | VirtioNet.featureStatus)
        #expect(net.features & (1 << 5) != 0 && net.features & (1 << 16) != 0)
        #expect((0..<8).map { net.readConfig(at: $0) } == Self.mac + [1, 0])
        #expect(net.readConfig(at: 8) == 0)
        #expect(net.readConfig(at: -1) == 0)
    }

    @Test func configurationSpaceThroughTheTransport() throws {
        let ring = try TestDriver()
        let (net, _, _) = Self.makeDevice()
        let mmio = MMIODriver(device: VirtioMMIODevice(
            device: net, memory: ring.memory, interrupt: InterruptCounter(), log: LogRecorder().sink))
        #expect(mmio.read32(VirtioMMIORegister.deviceID) == 1)
        let offered = mmio.deviceFeatures()
        #expect(offered & VirtioNet.featureMAC != 0 && offered & VirtioNet.featureStatus != 0)
        let low = mmio.read32(VirtioMMIORegister.config)
        let high = mmio.read(VirtioMMIORegister.config + 4, width: 4)
        #expect(low == 0x3322_1102)
        #expect(high == 0x0001_5544)  // mac[4], mac[5], status = LINK_UP
        #expect(mmio.read(VirtioMMIORegister.config + 6, width: 2) == UInt64(VirtioNet.statusLinkUp))
    }

    @Test func frameWithoutBuffersStaysPendingUntilBuffersArrive() throws {
        var ring = try TestDriver()
        var queue = ring.queue()
        let (net, backend, _) = Self.makeDevice()
        let first = Self.frame(60, seed: 1), second = Self.frame(42, seed: 9)
        backend.queue(first)
        backend.queue(second)
        // No receive buffers: one frame is read and held, the other stays in the back end.
        #expect(try !net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory))
        #expect(backend.waiting == 1)
        let calls = backend.receiveCalls
        // More wake-ups while there are still no buffers read nothing.
        _ = try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory)
        _ = try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory)
        #expect(backend.receiveCalls == calls)
        #expect(net.statistics.framesReceived == 0 && net.statistics.receiveDropped == 0)
        // One buffer: the pending frame goes in it; the second frame is read and waits.
        try Self.postReceive(&ring, 0, address: 0x10000, length: 1526)
        #expect(try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory))
        #expect(try ring.usedEntry(0) == (0, UInt32(NetHeader.size + first.count)))
        #expect(try ring.memory.read(at: GuestAddress(0x10000), count: NetHeader.size) == Self.receivedHeader)
        #expect(try ring.memory.read(at: GuestAddress(0x10000 + 12), count: first.count) == first)
        #expect(try ring.usedIndex() == 1)
        #expect(backend.waiting == 0)
        try Self.postReceive(&ring, 1, address: 0x20000, length: 1526)
        _ = try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory)
        #expect(try ring.usedEntry(1) == (1, UInt32(NetHeader.size + second.count)))
        #expect(try ring.memory.read(at: GuestAddress(0x20000 + 12), count: second.count) == second)
        #expect(net.statistics.framesReceived == 2)
        #expect(net.statistics.bytesReceived == UInt64(first.count + second.count))
    }

    /// With EVENT_IDX, finding the ring empty with a frame pending publishes
    /// avail_event, so the driver notifies for its next buffer and the frame is
    /// not stranded.
    @Test func pendingFrameAsksForTheNextBufferWithEventIndex() throws {
        var ring = try TestDriver()
        var queue = ring.queue(eventIndex: true)
        let (net, backend, _) = Self.makeDevice()
        try Self.postReceive(&ring, 0, address: 0x10000, length: 1526)
        backend.queue(Self.frame(60, seed: 1))
        backend.queue(Self.frame(61, seed: 2))
        _ = try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory)
        #expect(try ring.usedIndex() == 1)
        // The second frame is pending; the driver's next buffer (avail entry 1) must be notified.
        #expect(try ring.availEvent() == 1)
        #expect(Virtqueue.needEvent(eventIndex: try ring.availEvent(), new: 2, old: 1))
        try Self.postReceive(&ring, 1, address: 0x20000, length: 1526)
        _ = try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory)
        #expect(try ring.usedEntry(1) == (1, UInt32(NetHeader.size + 61)))
    }

    @Test func frameIsScatteredOverAChainOfBuffers() throws {
        var ring = try TestDriver()
        var queue = ring.queue()
        let (net, backend, _) = Self.makeDevice()
        let frame = Self.frame(100)
        backend.queue(frame)
        // A header-only buffer, then two small ones: 12 + 50 + 64 bytes.
        try ring.setDescriptor(0, address: 0x10000, length: 12, flags: Descriptor.flagWrite | Descriptor.flagNext, next: 1)
        try ring.setDescriptor(1, address: 0x20000, length: 50, flags: Descriptor.flagWrite | Descriptor.flagNext, next: 2)
        try ring.setDescriptor(2, address: 0x30000, length: 64, flags: Descriptor.flagWrite)
        try ring.publish(0)
        _ = try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory)
        #expect(try ring.usedEntry(0) == (0, 112))
        #expect(try ring.memory.read(at: GuestAddress(0x10000), count: 12) == Self.receivedHeader)
        let delivered = try ring.memory.read(at: GuestAddress(0x20000), count: 50)
            + ring.memory.read(at: GuestAddress(0x30000), count: 50)
        #expect(delivered == frame)
    }

    @Test func frameLargerThanTheBufferIsDroppedAndTheBufferKept() throws {
        var ring = try TestDriver()
        var queue = ring.queue()
        let (net, backend, log) = Self.makeDevice()
        let big = Self.frame(200), small = Self.frame(60, seed: 3)
        backend.queue(big)
        backend.queue(small)
        try Self.postReceive(&ring, 0, address: 0x10000, length: 100)
        _ = try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory)
        // The big frame was dropped; the same buffer took the next one.
        #expect(try ring.usedIndex() == 1)
        #expect(try ring.usedEntry(0) == (0, UInt32(NetHeader.size + small.count)))
        #expect(try ring.memory.read(at: GuestAddress(0x10000 + 12), count: small.count) == small)
        #expect(net.statistics.receiveDropped == 1)
        #expect(net.statistics.framesReceived == 1)
        #expect(log.lines.count == 1)
        #expect(log.lines.first?.hasPrefix("virtio-net: received frame of 200 bytes does not fit") == true)
    }

    @Test func frameLongerThanTheDeviceAcceptsIsDropped() throws {
        var ring = try TestDriver()
        var queue = ring.queue()
        let (net, backend, _) = Self.makeDevice()
        backend.queue(Self.frame(VirtioNet.maxFrameSize + 1))
        backend.queue(Self.frame(VirtioNet.maxFrameSize))
        try Self.postReceive(&ring, 0, address: 0x10000, length: UInt32(NetHeader.size + VirtioNet.maxFrameSize))
        _ = try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory)
        #expect(net.statistics.receiveDropped == 1)
        #expect(try ring.usedEntry(0) == (0, UInt32(NetHeader.size + VirtioNet.maxFrameSize)))
    }

    @Test func readErrorsAreCountedAndLogged() throws {
        let ring = try TestDriver()
        var queue = ring.queue()
        let (net, backend, log) = Self.makeDevice()
        backend.failReads(errno: 5)
        _ = try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory)
        #expect(net.statistics.receiveErrors == 1)
        #expect(log.lines == ["virtio-net: back end read failed: errno 5"])
    }

    @Test func resetForgetsThePendingFrame() throws {
        var ring = try TestDriver()
        var queue = ring.queue()
        let (net, backend, _) = Self.makeDevice()
        backend.queue(Self.frame(60, seed: 1))
        _ = try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory)
        net.reset()
        let next = Self.frame(70, seed: 2)
        backend.queue(next)
        try Self.postReceive(&ring, 0, address: 0x10000, length: 1526)
        _ = try net.process(queue: &queue, index: VirtioNet.receiveQueue, memory: ring.memory)
        #expect(try ring.usedEntry(0) == (0, UInt32(NetHeader.size + next.count)))
        #expect(try ring.memory.read(at: GuestAddress(0x10000 + 12), count: next.count) == next)
    }

    @Test func transmitStripsTheHeader() throws {
        var ring = try TestDriver()
        var queue = ring.queue()
        let (net, backend, log) = Self.makeDevice()
        let frame = Self.frame(98)
        // The header split over two descriptors, and the frame over two more.
        try ring.memory.write([UInt8](repeating: 0, count: 5), at: GuestAddress(0x10000))
        try ring.memory.write([UInt8](repeating: 0, count: 7) + frame.prefix(30), at: GuestAddress(0x11000))
        try ring.memory.write(Array(frame.dropFirst(30)), at: GuestAddress(0x12000))
        try ring.setDescriptor(0, address: 0x10000, length: 5, flags: Descriptor.flagNext, next: 1)
        try ring.setDescriptor(1, address: 0x11000, length: 37, flags: Descriptor.flagNext, next: 2)
        try ring.setDescriptor(2, address: 0x12000, length: UInt32(frame.count - 30))
        try ring.publish(0)
        try ring.memory.write(Self.header + Self.frame(60, seed: 5), at: GuestAddress(0x20000))
        try ring.setDescriptor(3, address: 0x20000, length: 72)
        try ring.publish(3)
        #expect(try net.process(queue: &queue, index: VirtioNet.transmitQueue, memory: ring.memory))
        #expect(backend.sent == [frame, Self.frame(60, seed: 5)])
        #expect(try ring.usedEntry(0) == (0, 0))
        #expect(try ring.usedEntry(1) == (3, 0))
        #expect(net.statistics.framesSent == 2 && net.statistics.bytesSent == 158)
        #expect(log.lines.isEmpty)
    }

    @Test func malformedTransmitChainsAreDroppedWithOneLineEach() throws {
        var ring = try TestDriver()
        var queue = ring.queue()
        let (net, backend, log) = Self.makeDevice()
        // 11 bytes: shorter than the header.
        try ring.setDescriptor(0, address: 0x10000, length: 11)
        try ring.publish(0)
        // 65551 bytes: one more than the limit.
        try ring.setDescriptor(1, address: 0x20000, length: UInt32(VirtioNet.maxTransmitChain + 1))
        try ring.publish(1)
        // Exactly the limit, and exactly the header (an empty frame): both sent.
        try ring.setDescriptor(2, address: 0x40000, length: UInt32(VirtioNet.maxTransmitChain))
        try ring.publish(2)
        try ring.setDescriptor(3, address: 0x60000, length: 12)
        try ring.publish(3)
        _ = try net.process(queue: &queue, index: VirtioNet.transmitQueue, memory: ring.memory)
        #expect(log.lines == [
            "virtio-net: transmit chain 0 has 11 readable bytes, fewer than the 12-byte virtio_net_hdr; dropped",
            "virtio-net: transmit chain 1 has 65551 readable bytes, more than 65550; dropped",
        ])
        #expect(backend.sent.map(\.count) == [VirtioNet.maxFrameSize, 0])
        #expect(net.statistics.transmitDropped == 2)
        // Every chain went back to the driver, dropped or not.
        #expect(try ring.usedIndex() == 4)
    }

    @Test func badChainLinesAreRateLimited() throws {
        var ring = try TestDriver(size: 64)
        var queue = ring.queue()
        let (net, _, log) = Self.makeDevice()
        for round in 0..<2 {
            for index in UInt16(0)..<32 {
                try ring.setDescriptor(index, address: 0x10000, length: 4)
                try ring.publish(index)
            }
            _ = try net.process(queue: &queue, index: VirtioNet.transmitQueue, memory: ring.memory)
            #expect(try ring.usedIndex() == UInt16(32 * (round + 1)))
        }
        #expect(net.statistics.transmitDropped == 64)
        #expect(log.lines.count == 33)
        #expect(log.lines.last == "virtio-net: more guest driver errors; no longer logging them")
    }

    @Test func refusedAndFailedSendsAreCounted() throws {
        var ring = try TestDriver()
        var queue = ring.queue()
        let (net, backend, log) = Self.makeDevice()
        try ring.memory.write(Self.header + Self.frame(60), at: GuestAddress(0x10000))
        try ring.setDescriptor(0, address: 0x10000, length: 72)
        backend.answerSends(.wouldBlock)
        try ring.publish(0)
        _ = try net.process(queue: &queue, index: VirtioNet.transmitQueue, memory: ring.memory)
        backend.answerSends(.failed(105))
        try ring.publish(0)
        _ = try net.process(queue: &queue, index: VirtioNet.transmitQueue, memory: ring.memory)
        #expect(net.statistics.transmitDropped == 2)
        #expect(net.statistics.transmitErrors == 1)
        #expect(log.lines == ["virtio-net: back end write of a 60-byte frame failed: errno 105; dropped"])
        #expect(try ring.usedIndex() == 2)
    }

    /// Through the MMIO transport: input arriving after the driver posted
    /// buffers is delivered by the wake-up, with an interrupt; the device's log
    /// lines reach the transport's sink.
    @Test func inputArrivedDeliversThroughTheTransport() throws {
        let receive = try TestDriver(size: 8)
        var receiveRing = receive
        var transmitRing = try TestDriver(size: 8, memory: receive.memory, base: 0x8000)
        let backend = FakeNetBackend()
        let net = VirtioNet(backend: backend, mac: Self.mac)
        let interrupts = InterruptCounter()
        let log = LogRecorder()
        let mmio = MMIODriver(device: VirtioMMIODevice(
            device: net, memory: receive.memory, interrupt: interrupts, log: log.sink))
        #expect(mmio.negotiate(VirtioFeature.version1 | VirtioNet.featureMAC | VirtioNet.featureStatus))
        mmio.setUpQueue(0, receiveRing)
        mmio.setUpQueue(1, transmitRing)
        mmio.driverOK()
        net.inputArrived()  // nothing there yet
        try Self.postReceive(&receiveRing, 0, address: 0x10000, length: 1526)
        mmio.write(VirtioMMIORegister.queueNotify, 0)
        #expect(try receiveRing.usedIndex() == 0)
        #expect(interrupts.count == 0)
        let frame = Self.frame(42)
        backend.queue(frame)
        net.inputArrived()
        #expect(try receiveRing.usedEntry(0) == (0, 54))
        #expect(try receive.memory.read(at: GuestAddress(0x10000 + 12), count: 42) == frame)
        #expect(interrupts.count == 1)
        // A bad transmit chain is logged through the transport's sink.
        try transmitRing.setDescriptor(0, address: 0x20000, length: 3)
        try transmitRing.publish(0)
        mmio.write(VirtioMMIORegister.queueNotify, 1)
        #expect(try transmitRing.usedIndex() == 1)
        #expect(log.lines == ["virtio-net: transmit chain 0 has 3 readable bytes, fewer than the 12-byte virtio_net_hdr; dropped"])
    }
}
