import Memory
import Snapshot
import Virtio

/// A guest driver for virtio-vsock in a test: the three queues set up through
/// the MMIO transport, receive buffers it posts, and packets it transmits.
struct VsockHarness {
    static let guestCID: UInt64 = 3
    static let receiveBufferBase: UInt64 = 0x20_0000
    static let receiveBufferSpacing: UInt64 = 0x2000
    static let transmitBufferBase: UInt64 = 0x28_0000
    static let transmitBufferSpacing: UInt64 = 0x1_2000

    var receive: TestDriver
    var transmit: TestDriver
    var event: TestDriver
    private(set) var device: VirtioVsock
    private(set) var mmio: MMIODriver
    let backend = FakeVsockBackend()
    let log = LogRecorder()
    private(set) var interrupts = InterruptCounter()
    private var receivedUpTo: UInt16 = 0
    private var transmitted: UInt16 = 0

    init(maxConnections: Int = 128) throws {
        receive = try TestDriver(size: 16)
        transmit = try TestDriver(size: 8, memory: receive.memory, base: 0x8000)
        event = try TestDriver(size: 4, memory: receive.memory, base: 0x10000)
        device = VirtioVsock(guestCID: Self.guestCID, backend: backend, maxConnections: maxConnections,
                             log: log.sink)
        mmio = MMIODriver(device: VirtioMMIODevice(
            device: device, memory: receive.memory, interrupt: interrupts, log: log.sink))
        _ = mmio.negotiate(VirtioFeature.version1)
        mmio.setUpQueue(0, receive)
        mmio.setUpQueue(1, transmit)
        mmio.setUpQueue(2, event)
        mmio.driverOK()
    }

    var memory: GuestMemory { receive.memory }

    /// The device's saved state (a snapshot of it).
    func saveState() -> [UInt8] {
        var writer = StateWriter()
        mmio.device.saveState(into: &writer)
        return writer.bytes
    }

    /// Replaces the device and its transport with new ones over the same memory,
    /// restored from `state`, as a restored machine would have; the driver's side
    /// (rings, buffers) carries on.
    mutating func restore(_ state: [UInt8]) throws {
        device = VirtioVsock(guestCID: Self.guestCID, backend: backend, log: log.sink)
        interrupts = InterruptCounter()
        mmio = MMIODriver(device: VirtioMMIODevice(
            device: device, memory: memory, interrupt: interrupts, log: log.sink, stateSectionName: "virtio.vsock"))
        var reader = StateReader(state, context: "virtio.vsock")
        try mmio.device.restoreState(from: &reader)
    }

    /// Posts receive buffers `first..<first + count` of `size` bytes and notifies.
    mutating func postReceiveBuffers(_ count: UInt16, size: UInt32 = 4096, first: UInt16 = 0) throws {
        for head in first..<(first + count) {
            let address = Self.receiveBufferBase + UInt64(head) * Self.receiveBufferSpacing
            try receive.setDescriptor(head, address: address, length: size, flags: Descriptor.flagWrite)
            try receive.publish(head)
        }
        mmio.write(VirtioMMIORegister.queueNotify, 0)
    }

    /// The packets delivered since the last call; each buffer is posted again
    /// unless `repost` is false.
    mutating func received(repost: Bool = true) throws -> [(header: VsockHeader, payload: [UInt8])] {
        var packets: [(VsockHeader, [UInt8])] = []
        let used = try receive.usedIndex()
        while receivedUpTo != used {
            let entry = try receive.usedEntry(receivedUpTo)
            receivedUpTo &+= 1
            let address = Self.receiveBufferBase + UInt64(entry.head) * Self.receiveBufferSpacing
            let bytes = try memory.read(at: GuestAddress(address), count: Int(entry.length))
            if let header = VsockHeader(bytes: bytes) {
                packets.append((header, Array(bytes.dropFirst(VsockHeader.size))))
            }
            if repost { try receive.publish(UInt16(entry.head)) }
        }
        return packets
    }

    /// A header from the guest (CID 3) to the host (CID 2).
    static func header(_ operation: VsockOperation, guestPort: UInt32 = 1025, hostPort: UInt32 = 1234,
                       length: UInt32 = 0, flags: UInt32 = 0, bufferAllocation: UInt32 = 4096,
                       forwardCount: UInt32 = 0) -> VsockHeader {
        VsockHeader(sourceCID: guestCID, destinationCID: 2, sourcePort: guestPort, destinationPort: hostPort,
                    length: length, operation: operation, flags: flags, bufferAllocation: bufferAllocation,
                    forwardCount: forwardCount)
    }

    /// Transmits `header` followed by `payload` in one descriptor of `bufferLength`
    /// bytes (default: exactly the packet), and notifies the transmit queue.
    mutating func send(_ header: VsockHeader, payload: [UInt8] = [], bufferLength: UInt32? = nil) throws {
        let slot = transmitted % transmit.size
        transmitted &+= 1
        let address = Self.transmitBufferBase + UInt64(slot) * Self.transmitBufferSpacing
        let bytes = header.bytes + payload
        try memory.write(bytes, at: GuestAddress(address))
        try transmit.setDescriptor(slot, address: address, length: bufferLength ?? UInt32(bytes.count))
        try transmit.publish(slot)
        mmio.write(VirtioMMIORegister.queueNotify, 1)
    }

    /// Transmits raw bytes as one packet buffer.
    mutating func sendRaw(_ bytes: [UInt8]) throws {
        let slot = transmitted % transmit.size
        transmitted &+= 1
        let address = Self.transmitBufferBase + UInt64(slot) * Self.transmitBufferSpacing
        try memory.write(bytes, at: GuestAddress(address))
        try transmit.setDescriptor(slot, address: address, length: UInt32(bytes.count))
        try transmit.publish(slot)
        mmio.write(VirtioMMIORegister.queueNotify, 1)
    }

    /// Transmit chains the device has consumed.
    func transmitUsed() throws -> UInt16 { try transmit.usedIndex() }

    /// Connects guest port 1025 to host port 1234 and takes the RESPONSE.
    mutating func connect(bufferAllocation: UInt32 = 4096, repost: Bool = true) throws -> FakeVsockStream? {
        try send(Self.header(.request, bufferAllocation: bufferAllocation))
        let packets = try received(repost: repost)
        guard packets.count == 1, packets[0].header.operation == .response else { return nil }
        return backend.stream(1234)
    }
}
