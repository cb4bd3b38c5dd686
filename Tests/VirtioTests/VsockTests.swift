import Memory
import Testing
@testable import Virtio

@Suite struct VsockTests {
    typealias H = VsockHarness

    @Test func identityAndConfigurationSpace() throws {
        let harness = try H()
        #expect(harness.device.deviceID == 19)
        #expect(harness.device.queueCount == 3)
        #expect(harness.device.features == 0)
        #expect(harness.mmio.read32(VirtioMMIORegister.deviceID) == 19)
        #expect(harness.mmio.read(VirtioMMIORegister.config, width: 8) == 3)
        #expect(harness.mmio.read(VirtioMMIORegister.config + 8, width: 4) == 0)
        #expect(harness.mmio.status & DeviceStatus.driverOK != 0)
    }

    @Test func headerRoundTripsInLittleEndian() {
        let header = VsockHeader(sourceCID: 0x0102_0304_0506_0708, destinationCID: 2, sourcePort: 0xA0B0_C0D0,
                                 destinationPort: 7, length: 9, operation: .creditRequest, flags: 3,
                                 bufferAllocation: 0x1000, forwardCount: 0xFFFF_FFFF)
        let bytes = header.bytes
        #expect(bytes.count == 44)
        #expect(Array(bytes[0..<8]) == [8, 7, 6, 5, 4, 3, 2, 1])
        #expect(Array(bytes[28..<32]) == [1, 0, 7, 0])  // type STREAM, op CREDIT_REQUEST
        #expect(VsockHeader(bytes: bytes) == header)
        #expect(VsockHeader(bytes: Array(bytes.prefix(43))) == nil)
    }

    @Test func guestRequestConnectsToTheHostPort() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        try harness.send(H.header(.request, bufferAllocation: 4096))
        #expect(harness.backend.connectedPorts == [1234])
        let packets = try harness.received()
        try #require(packets.count == 1)
        let response = packets[0].header
        #expect(response.operation == .response)
        #expect(response.sourceCID == 2 && response.destinationCID == 3)
        #expect(response.sourcePort == 1234 && response.destinationPort == 1025)
        #expect(response.type == 1 && response.length == 0)
        #expect(response.bufferAllocation == VsockConnection.bufferSize && response.forwardCount == 0)
        #expect(try harness.transmitUsed() == 1)
        #expect(harness.device.connectionCount == 1)
        #expect(harness.log.lines.isEmpty, "\(harness.log.lines)")
    }

    /// `--limit vsock-connections`: past the limit a guest REQUEST gets RST and one
    /// log line naming the limit.
    @Test func connectionsPastTheLimitAreRefused() throws {
        var harness = try H(maxConnections: 2)
        try harness.postReceiveBuffers(8)
        for port in 1025...1027 as ClosedRange<UInt32> {
            try harness.send(H.header(.request, guestPort: port, bufferAllocation: 4096))
        }
        let packets = try harness.received()
        #expect(packets.map(\.header.operation) == [.response, .response, .reset])
        #expect(harness.device.connectionCount == 2)
        #expect(harness.log.lines.count == 1)
        #expect(harness.log.lines.first?.contains("2 connections are open (the vsock-connections limit)") == true,
                "\(harness.log.lines)")
    }

    @Test func refusedConnectionGetsRSTAndOneLogLine() throws {
        var harness = try H()
        harness.backend.refuse(1234)
        try harness.postReceiveBuffers(4)
        try harness.send(H.header(.request))
        let packets = try harness.received()
        try #require(packets.count == 1)
        #expect(packets[0].header.operation == .reset)
        #expect(packets[0].header.sourcePort == 1234 && packets[0].header.destinationPort == 1025)
        #expect(harness.device.connectionCount == 0)
        #expect(harness.log.lines.count == 1)
        #expect(harness.log.lines.first?.contains("to host port 1234 refused: nobody listens on port 1234") == true)
    }

    @Test func dataFlowsBothWaysWithCreditAccounting() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        let stream = try #require(try harness.connect())
        try harness.send(H.header(.readWrite, length: 5), payload: Array("hello".utf8))
        #expect(stream.written == Array("hello".utf8))
        #expect(try harness.received().isEmpty, "5 bytes forwarded is below the credit update threshold")
        stream.feed(Array("world".utf8))
        harness.device.hostReady(token: stream.token)
        let data = try harness.received()
        try #require(data.count == 1)
        #expect(data[0].header.operation == .readWrite)
        #expect(data[0].header.length == 5 && data[0].payload == Array("world".utf8))
        #expect(data[0].header.forwardCount == 5, "the guest's 5 bytes were forwarded to the host")
        // The guest asks for our credit and gets it.
        try harness.send(H.header(.creditRequest, forwardCount: 5))
        let update = try harness.received()
        try #require(update.count == 1)
        #expect(update[0].header.operation == .creditUpdate)
        #expect(update[0].header.forwardCount == 5 && update[0].header.bufferAllocation == 64 * 1024)
        #expect(harness.log.lines.isEmpty, "\(harness.log.lines)")
    }

    @Test func hostDataIsHeldBackWhileTheGuestHasNoCredit() throws {
        var harness = try H()
        try harness.postReceiveBuffers(8)
        let stream = try #require(try harness.connect(bufferAllocation: 8))
        stream.feed(Array(0..<20))
        harness.device.hostReady(token: stream.token)
        let first = try harness.received()
        // 8 bytes (the guest's whole buffer), then one CREDIT_REQUEST, and the rest stays in the host stream.
        try #require(first.count == 2)
        #expect(first[0].header.operation == .readWrite && first[0].payload == Array(0..<8))
        #expect(first[1].header.operation == .creditRequest)
        #expect(stream.unread == 12)
        harness.device.hostReady(token: stream.token)
        #expect(try harness.received().isEmpty, "no credit: nothing read, no second CREDIT_REQUEST")
        #expect(stream.unread == 12)
        // The guest consumed 8 bytes: 8 more may go.
        try harness.send(H.header(.creditUpdate, bufferAllocation: 8, forwardCount: 8))
        let second = try harness.received()
        #expect(second.first?.header.operation == .readWrite)
        #expect(second.first?.payload == Array(8..<16))
        #expect(stream.unread == 4)
    }

    @Test func hostDataWaitsForReceiveBuffers() throws {
        var harness = try H()
        try harness.postReceiveBuffers(1)
        let stream = try #require(try harness.connect(repost: false))
        let readsBefore = stream.reads
        stream.feed(Array("late".utf8))
        harness.device.hostReady(token: stream.token)
        #expect(stream.reads == readsBefore, "nothing is read from the host without a receive buffer")
        #expect(stream.unread == 4)
        try harness.postReceiveBuffers(1, first: 1)
        let packets = try harness.received()
        #expect(packets.map(\.payload) == [Array("late".utf8)])
    }

    @Test func packetsForUnknownConnectionsGetRST() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        try harness.send(H.header(.readWrite, guestPort: 7, hostPort: 8, length: 2), payload: [1, 2])
        let packets = try harness.received()
        try #require(packets.count == 1)
        #expect(packets[0].header.operation == .reset)
        #expect(packets[0].header.sourcePort == 8 && packets[0].header.destinationPort == 7)
        #expect(harness.log.lines.count == 1)
        #expect(harness.log.lines.first?.contains("RW for no open connection") == true)
        // An RST for an unknown connection is never answered.
        try harness.send(H.header(.reset, guestPort: 7, hostPort: 8))
        #expect(try harness.received().isEmpty)
        #expect(harness.log.lines.count == 1)
    }

    @Test func wrongSourceCIDIsDroppedWithOneLogLine() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        var header = H.header(.request)
        header.sourceCID = 5
        try harness.send(header)
        #expect(try harness.received().isEmpty)
        #expect(harness.backend.connectedPorts.isEmpty)
        #expect(try harness.transmitUsed() == 1)
        #expect(harness.log.lines.count == 1)
        #expect(harness.log.lines.first?.contains("packet from CID 5 dropped: the guest is CID 3") == true)
    }

    @Test func wrongDestinationCIDGetsRSTAndOneLogLine() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        var header = H.header(.request)
        header.destinationCID = 7
        try harness.send(header)
        let packets = try harness.received()
        try #require(packets.count == 1)
        #expect(packets[0].header.operation == .reset)
        #expect(packets[0].header.sourceCID == 7, "the RST comes from the address the guest tried")
        #expect(harness.backend.connectedPorts.isEmpty)
        #expect(harness.log.lines.count == 1)
        #expect(harness.log.lines.first?.contains("packet to CID 7 refused") == true)
    }

    @Test func unknownTypeAndOpGetRST() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        var seqpacket = H.header(.request)
        seqpacket.type = 2
        try harness.send(seqpacket)
        var unknown = H.header(.request)
        unknown.op = 99
        try harness.send(unknown)
        #expect(try harness.received().map(\.header.operation) == [.reset, .reset])
        #expect(harness.log.lines.count == 2)
        #expect(harness.log.lines.first?.contains("type 2 refused") == true)
        #expect(harness.log.lines.last?.contains("unknown op 99") == true)
    }

    @Test func oversizeLengthsAreRefusedWithOneLogLineEach() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        let stream = try #require(try harness.connect())
        // len says 100 bytes; the chain holds 10 after the header.
        try harness.send(H.header(.readWrite, length: 100), payload: [UInt8](repeating: 1, count: 10))
        #expect(try harness.received().map(\.header.operation) == [.reset])
        #expect(stream.isClosed, "the connection named by the bad packet is ended")
        #expect(stream.written.isEmpty)
        #expect(harness.log.lines.count == 1)
        #expect(harness.log.lines.last?.contains("its buffers hold 10 bytes after the header") == true)
        // len beyond the 64 KiB limit, with a chain that really is that long.
        try harness.send(H.header(.readWrite, guestPort: 9, length: 70000), bufferLength: 70044)
        #expect(try harness.received().map(\.header.operation) == [.reset])
        #expect(harness.log.lines.count == 2)
        #expect(harness.log.lines.last?.contains("length 70000 refused: the limit is 65536") == true)
        // A buffer shorter than a header.
        try harness.sendRaw([1, 2, 3])
        #expect(try harness.received().isEmpty)
        #expect(harness.log.lines.count == 3)
        #expect(harness.log.lines.last?.contains("no room for the 44-byte header") == true)
        #expect(try harness.transmitUsed() == 4)
        #expect(harness.mmio.status & DeviceStatus.needsReset == 0)
    }

    @Test func guestBytesBeyondTheCreditGivenResetTheConnection() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        let stream = try #require(try harness.connect())
        stream.setWriteRoom(0)  // the host takes nothing
        let chunk = [UInt8](repeating: 7, count: 32 * 1024)
        try harness.send(H.header(.readWrite, length: UInt32(chunk.count)), payload: chunk)
        try harness.send(H.header(.readWrite, length: UInt32(chunk.count)), payload: chunk)
        #expect(try harness.received().isEmpty, "64 KiB held: exactly the advertised buffer")
        try harness.send(H.header(.readWrite, length: 1), payload: [1])
        #expect(try harness.received().map(\.header.operation) == [.reset])
        #expect(stream.isClosed)
        #expect(harness.log.lines.count == 1)
        #expect(harness.log.lines.first?.contains("RW of 1 bytes exceeds the 0 bytes of credit given") == true)
    }

    @Test func hostBackPressureShrinksTheGuestsCreditUntilItDrains() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        let stream = try #require(try harness.connect())
        stream.setWriteRoom(1000)
        let chunk = [UInt8](repeating: 7, count: 40 * 1024)
        try harness.send(H.header(.readWrite, length: UInt32(chunk.count)), payload: chunk)
        #expect(stream.written.count == 1000)
        #expect(try harness.received().isEmpty)
        // The host takes the rest: 40 KiB forwarded crosses the threshold, an update goes out unasked.
        stream.setWriteRoom(nil)
        harness.device.hostReady(token: stream.token)
        #expect(stream.written.count == chunk.count)
        let packets = try harness.received()
        try #require(packets.count == 1)
        #expect(packets[0].header.operation == .creditUpdate)
        #expect(packets[0].header.forwardCount == UInt32(chunk.count))
    }

    @Test func hostInitiatedConnectionGreetsAfterTheGuestsResponse() throws {
        var harness = try H()
        let early = FakeVsockStream(token: 1)
        // Before DRIVER_OK nothing is accepted.
        let idle = VirtioVsock(guestCID: 3, backend: FakeVsockBackend(), log: { _ in })
        #expect(idle.connect(toGuestPort: 5000, stream: early, greeting: { _ in [] }) == nil)
        try harness.postReceiveBuffers(4)
        let stream = FakeVsockStream(token: 1)
        let port = harness.device.connect(toGuestPort: 5000, stream: stream) { Array("OK \($0)\n".utf8) }
        #expect(port == 1 << 30)
        let request = try harness.received()
        try #require(request.count == 1)
        #expect(request[0].header.operation == .request)
        #expect(request[0].header.sourcePort == 1 << 30 && request[0].header.destinationPort == 5000)
        #expect(stream.written.isEmpty, "nothing is said to the host before the guest accepts")
        try harness.send(H.header(.response, guestPort: 5000, hostPort: 1 << 30))
        #expect(stream.written == Array("OK 1073741824\n".utf8))
        try harness.send(H.header(.readWrite, guestPort: 5000, hostPort: 1 << 30, length: 3), payload: [1, 2, 3])
        #expect(stream.written.suffix(3) == [1, 2, 3])
        // The greeting is not guest data: fwd_cnt counts only the 3 bytes.
        try harness.send(H.header(.creditRequest, guestPort: 5000, hostPort: 1 << 30))
        #expect(try harness.received().first?.header.forwardCount == 3)
        // The next host connection gets the next port.
        let next = harness.device.connect(toGuestPort: 5000, stream: FakeVsockStream(token: 2)) { _ in [] }
        #expect(next == 1_073_741_825)
    }

    @Test func unansweredRequestTimesOut() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        let stream = FakeVsockStream(token: 1)
        let port = try #require(harness.device.connect(toGuestPort: 5000, stream: stream) { _ in [] })
        #expect(try harness.received().map(\.header.operation) == [.request])
        #expect(harness.device.needsTicks)
        for _ in 0..<2 { harness.device.tick() }
        #expect(!stream.isClosed)
        harness.device.tick()
        #expect(stream.isClosed)
        let reset = try harness.received()
        #expect(reset.map(\.header.operation) == [.reset])
        #expect(reset.first?.header.sourcePort == port)
        #expect(!harness.device.needsTicks)
        #expect(harness.log.lines == ["virtio-vsock: guest port 5000 <-> host port 1073741824: no RESPONSE from "
            + "the guest in time; sent RST"])
    }

    @Test func guestShutdownFlushesThenCloses() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        let stream = try #require(try harness.connect())
        stream.setWriteRoom(2)
        try harness.send(H.header(.readWrite, length: 4), payload: [1, 2, 3, 4])
        try harness.send(H.header(.shutdown, flags: VsockHeader.shutdownBoth))
        #expect(!stream.isClosed, "two bytes still wait for the host")
        #expect(try harness.received().isEmpty)
        stream.setWriteRoom(nil)
        harness.device.hostReady(token: stream.token)
        #expect(stream.written == [1, 2, 3, 4])
        #expect(stream.isClosed)
        #expect(try harness.received().map(\.header.operation) == [.reset])
        #expect(harness.device.connectionCount == 0)
        #expect(harness.log.lines.isEmpty, "\(harness.log.lines)")
    }

    @Test func guestHalfCloseShutsTheHostStreamForWriting() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        let stream = try #require(try harness.connect())
        try harness.send(H.header(.shutdown, flags: VsockHeader.shutdownSend))
        #expect(stream.isWriteShut && !stream.isClosed)
        stream.feed([9])
        harness.device.hostReady(token: stream.token)
        #expect(try harness.received().map(\.payload) == [[9]], "the other direction still works")
    }

    @Test func hostEndOfFileSendsShutdownAndTheGuestsRSTCloses() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        let stream = try #require(try harness.connect())
        stream.feed([5, 6])
        stream.end()
        harness.device.hostReady(token: stream.token)
        let packets = try harness.received()
        #expect(packets.map(\.header.operation) == [.readWrite, .shutdown])
        #expect(packets.last?.header.flags == VsockHeader.shutdownSend)
        #expect(!stream.isClosed)
        try harness.send(H.header(.reset))
        #expect(stream.isClosed)
        #expect(harness.device.connectionCount == 0)
        #expect(try harness.received().isEmpty, "an RST is never answered")
    }

    @Test func deviceResetClosesEveryStream() throws {
        var harness = try H()
        try harness.postReceiveBuffers(4)
        let stream = try #require(try harness.connect())
        harness.mmio.write(VirtioMMIORegister.status, 0)
        #expect(stream.isClosed)
        #expect(harness.device.connectionCount == 0)
    }

    @Test func tinyReceiveBuffersAreReturnedEmptyAndLogged() throws {
        var harness = try H()
        try harness.postReceiveBuffers(1, size: 16)
        try harness.send(H.header(.request))
        #expect(try harness.receive.usedEntry(0) == (0, 0))
        #expect(harness.log.lines.count == 1)
        #expect(harness.log.lines.first?.contains("receive buffer of 16 bytes cannot hold a packet header") == true)
    }

    @Test func logLinesAreRateLimited() throws {
        var harness = try H()
        var header = H.header(.request)
        header.sourceCID = 9
        for _ in 0..<40 { try harness.send(header) }
        #expect(harness.log.lines.count == 33)
        #expect(harness.log.lines.last?.contains("no longer logging") == true)
    }
}
