import Foundation
import Memory
import Snapshot
import Testing
@testable import Virtio

/// Each device driven through requests, saved, rebuilt over the same guest
/// memory, restored, and driven on.
@Suite struct DeviceSnapshotTests {
    // MARK: virtio-blk

    /// One virtio-blk request through the transport (descriptors 0..., head 0);
    /// returns the status byte and the data read.
    static func blockRequest(_ rig: inout SnapshotRig, type: UInt32, sector: UInt64, out: [UInt8] = [],
                             inLength: UInt32 = 0) throws -> (status: UInt8, dataIn: [UInt8]) {
        typealias F = BlockFixture
        var header = [UInt8](repeating: 0, count: 16)
        for i in 0..<4 { header[i] = UInt8(truncatingIfNeeded: type >> (8 * UInt32(i))) }
        for i in 0..<8 { header[8 + i] = UInt8(truncatingIfNeeded: sector >> (8 * UInt64(i))) }
        try rig.memory.write(header, at: F.header)
        try rig.memory.write([0xFF], at: F.status)
        try rig.memory.write(out, at: F.dataOut)
        var buffers: [(GuestAddress, UInt32, UInt16)] = [(F.header, 16, 0)]
        if !out.isEmpty { buffers.append((F.dataOut, UInt32(out.count), 0)) }
        if inLength > 0 { buffers.append((F.dataIn, inLength, Descriptor.flagWrite)) }
        buffers.append((F.status, 1, Descriptor.flagWrite))
        for (index, buffer) in buffers.enumerated() {
            let last = index == buffers.count - 1
            try rig.rings[0].setDescriptor(UInt16(index), address: buffer.0.rawValue, length: buffer.1,
                                           flags: buffer.2 | (last ? 0 : Descriptor.flagNext), next: UInt16(index + 1))
        }
        try rig.rings[0].publish(0)
        rig.notify(0)
        return (try rig.memory.read(at: F.status, count: 1)[0], try rig.memory.read(at: F.dataIn, count: Int(inLength)))
    }

    @Test func blockContinuesAfterRestore() throws {
        let fixture = try BlockFixture(sectors: 64)
        defer { fixture.remove() }
        var rig = SnapshotRig(device: try VirtioBlock(path: fixture.path), rings: [fixture.ring])
        let data = (0..<512).map { UInt8(truncatingIfNeeded: $0 * 3) }
        #expect(try Self.blockRequest(&rig, type: BlockRequest.typeOut, sector: 5, out: data).status == 0)
        #expect(try Self.blockRequest(&rig, type: BlockRequest.typeIn, sector: 5, inLength: 512).dataIn == data)
        #expect(try rig.rings[0].usedIndex() == 2)
        let saved = rig.save()

        var restored = try rig.restored(onto: try VirtioBlock(path: fixture.path), state: saved)
        #expect(restored.transport.queueStates == rig.transport.queueStates)
        #expect(restored.save() == saved)
        let read = try Self.blockRequest(&restored, type: BlockRequest.typeIn, sector: 5, inLength: 512)
        #expect(read.status == BlockRequest.statusOK && read.dataIn == data)
        #expect(try restored.rings[0].usedIndex() == 3)
        #expect(try restored.rings[0].usedEntry(2) == (0, 513))
        #expect(restored.interrupts.count == 1)
        #expect(restored.log.lines.isEmpty, "\(restored.log.lines)")
    }

    @Test func blockRefusesADiskOfAnotherSizeOrAccess() throws {
        let fixture = try BlockFixture(sectors: 64)
        let other = try BlockFixture(sectors: 32)
        defer { fixture.remove(); other.remove() }
        var rig = SnapshotRig(device: try VirtioBlock(path: fixture.path), rings: [fixture.ring])
        _ = try Self.blockRequest(&rig, type: BlockRequest.typeIn, sector: 0, inLength: 512)
        let error = SnapshotRig.restoreError(rig.save(), onto: try VirtioBlock(path: other.path), memory: rig.memory)
        #expect(error == .mismatch(what: "size of disk image \(other.path)", snapshot: "32768 bytes",
                                   machine: "16384 bytes"))
        let readOnly = SnapshotRig.restoreError(rig.save(), onto: try VirtioBlock(path: fixture.path, readOnly: true),
                                                memory: rig.memory)
        #expect(readOnly?.subject == "access of disk image \(fixture.path)")
    }

    // MARK: virtio-net

    static func netRig(_ net: VirtioNet) throws -> SnapshotRig {
        let receive = try TestDriver(size: 16)
        let transmit = try TestDriver(size: 16, memory: receive.memory, base: 0x8000)
        return SnapshotRig(device: net, rings: [receive, transmit])
    }

    /// Transmits `frame` in descriptor `head` of the transmit queue.
    static func transmit(_ rig: inout SnapshotRig, _ frame: [UInt8], head: UInt16) throws {
        let address: UInt64 = 0x20_0000 + UInt64(head) * 0x1000
        try rig.memory.write(NetTests.header + frame, at: GuestAddress(address))
        try rig.rings[1].setDescriptor(head, address: address, length: UInt32(NetHeader.size + frame.count))
        try rig.rings[1].publish(head)
        rig.notify(VirtioNet.transmitQueue)
    }

    @Test func netContinuesAndGetsBackTheBufferItHeld() throws {
        let backend = FakeNetBackend()
        let net = VirtioNet(backend: backend, mac: NetTests.mac)
        var rig = try Self.netRig(net)
        let first = NetTests.frame(60, seed: 1)
        try NetTests.postReceive(&rig.rings[0], 0, address: 0x10_0000, length: 1526)
        backend.queue(first)
        net.inputArrived()
        #expect(try rig.rings[0].usedEntry(0) == (0, UInt32(NetHeader.size + first.count)))
        // A buffer too small for the next frame: the frame is dropped, the device keeps the buffer.
        try NetTests.postReceive(&rig.rings[0], 1, address: 0x10_1000, length: 20)
        backend.queue(NetTests.frame(60, seed: 2))
        net.inputArrived()
        #expect(try rig.rings[0].usedIndex() == 1)
        #expect(rig.transport.queueStates[0].nextAvail == 2)
        let sent = NetTests.frame(50, seed: 3)
        try Self.transmit(&rig, sent, head: 0)
        #expect(backend.sent == [sent])
        let saved = rig.save()
        // The held buffer goes back to the ring.
        #expect(try SavedTransport(saved).queues[0].nextAvail == 1)

        let backend2 = FakeNetBackend()
        let net2 = VirtioNet(backend: backend2, mac: NetTests.mac)
        var restored = try rig.restored(onto: net2, state: saved)
        #expect(restored.transport.queueStates[1] == rig.transport.queueStates[1])
        let small = NetTests.frame(8, seed: 4)
        backend2.queue(small)
        net2.inputArrived()
        #expect(try restored.rings[0].usedIndex() == 2)
        #expect(try restored.rings[0].usedEntry(1) == (1, UInt32(NetHeader.size + small.count)))
        #expect(try restored.memory.read(at: GuestAddress(0x10_1000 + 12), count: small.count) == small)
        let sentAfter = NetTests.frame(70, seed: 5)
        try Self.transmit(&restored, sentAfter, head: 1)
        #expect(backend2.sent == [sentAfter])
        #expect(try restored.rings[1].usedIndex() == 2)
    }

    @Test func netDropsAFramePendingForLackOfBuffers() throws {
        let backend = FakeNetBackend()
        let net = VirtioNet(backend: backend, mac: NetTests.mac)
        let rig = try Self.netRig(net)
        backend.queue(NetTests.frame(60, seed: 1))
        net.inputArrived()
        #expect(backend.waiting == 0)  // read and pending in the device
        let backend2 = FakeNetBackend()
        let net2 = VirtioNet(backend: backend2, mac: NetTests.mac)
        var restored = try rig.restored(onto: net2)
        try NetTests.postReceive(&restored.rings[0], 0, address: 0x10_0000, length: 1526)
        restored.notify(VirtioNet.receiveQueue)
        #expect(try restored.rings[0].usedIndex() == 0)
        let next = NetTests.frame(40, seed: 7)
        backend2.queue(next)
        net2.inputArrived()
        #expect(try restored.rings[0].usedEntry(0) == (0, UInt32(NetHeader.size + next.count)))
    }

    @Test func netRefusesAnotherMACAddress() throws {
        let rig = try Self.netRig(VirtioNet(backend: FakeNetBackend(), mac: NetTests.mac))
        let other = VirtioNet(backend: FakeNetBackend(), mac: [0x02, 0, 0, 0, 0, 1])
        #expect(SnapshotRig.restoreError(rig.save(), onto: other, memory: rig.memory)
            == .mismatch(what: "virtio-net MAC address", snapshot: "02:11:22:33:44:55", machine: "02:00:00:00:00:01"))
    }

    // MARK: virtio-console

    @Test func consoleKeepsPendingInputAndContinues() throws {
        let receive = try TestDriver(size: 16)
        let transmit = try TestDriver(size: 8, memory: receive.memory, base: 0x8000)
        let output = OutputRecorder()
        let console = VirtioConsole(output: output)
        var rig = SnapshotRig(device: console, rings: [receive, transmit])
        try rig.memory.write(Array("hi".utf8), at: GuestAddress(0x20000))
        try rig.rings[1].setDescriptor(0, address: 0x20000, length: 2)
        try rig.rings[1].publish(0)
        rig.notify(VirtioConsole.transmitQueue)
        #expect(output.bytes == Array("hi".utf8))
        #expect(console.receive(Array("hello".utf8)) == 5)  // no receive buffers yet

        let output2 = OutputRecorder()
        let console2 = VirtioConsole(output: output2)
        var restored = try rig.restored(onto: console2)
        #expect(console2.pendingInput == 5)
        try restored.rings[0].setDescriptor(0, address: 0x30000, length: 8, flags: Descriptor.flagWrite)
        try restored.rings[0].publish(0)
        restored.notify(VirtioConsole.receiveQueue)
        #expect(try restored.rings[0].usedEntry(0) == (0, 5))
        #expect(try restored.memory.read(at: GuestAddress(0x30000), count: 5) == Array("hello".utf8))
        try restored.memory.write(Array("there".utf8), at: GuestAddress(0x20000))
        try restored.rings[1].setDescriptor(1, address: 0x20000, length: 5)
        try restored.rings[1].publish(1)
        restored.notify(VirtioConsole.transmitQueue)
        #expect(output2.bytes == Array("there".utf8))
        #expect(try restored.rings[1].usedIndex() == 2)
    }

    @Test func consoleRefusesMoreInputThanItHolds() throws {
        let receive = try TestDriver(size: 16)
        let transmit = try TestDriver(size: 8, memory: receive.memory, base: 0x8000)
        let rig = SnapshotRig(device: VirtioConsole(output: OutputRecorder()), rings: [receive, transmit])
        var state = try SavedTransport(rig.save())
        var device = StateWriter()
        device.write(bytes: [UInt8](repeating: 0x41, count: VirtioConsole.inputCapacity + 1))
        state.device = device.bytes
        let error = SnapshotRig.restoreError(state.bytes, onto: VirtioConsole(output: OutputRecorder()),
                                             memory: rig.memory)
        #expect(error?.subject == "\(SnapshotRig.sectionName).device.pending input")
    }

    // MARK: virtio-vsock

    static let eventBuffer: UInt64 = 0x30_0000

    /// Posts event buffer `head` (8 bytes of 0xFF), notifying the event queue if `notify`.
    static func postEventBuffer(_ harness: inout VsockHarness, head: UInt16, notify: Bool) throws {
        let address = eventBuffer + UInt64(head) * 0x100
        try harness.memory.write([UInt8](repeating: 0xFF, count: 8), at: GuestAddress(address))
        try harness.event.setDescriptor(head, address: address, length: 8, flags: Descriptor.flagWrite)
        try harness.event.publish(head)
        if notify { harness.mmio.write(VirtioMMIORegister.queueNotify, UInt64(VirtioVsock.eventQueue)) }
    }

    @Test func vsockRestoreDropsConnectionsAndSendsATransportReset() throws {
        var harness = try VsockHarness()
        try harness.postReceiveBuffers(8)
        #expect(try harness.connect() != nil)
        #expect(harness.device.connectionCount == 1)
        try Self.postEventBuffer(&harness, head: 0, notify: true)
        #expect(try harness.event.usedIndex() == 0)  // no event to send before a restore
        let saved = harness.saveState()

        try harness.restore(saved)
        #expect(harness.device.connectionCount == 0)
        #expect(harness.device.transportResetPending)
        #expect(try harness.event.usedIndex() == 0)  // nothing written before the machine resumes
        harness.mmio.device.serveQueuesAfterRestore()
        #expect(try harness.event.usedIndex() == 1)
        #expect(try harness.event.usedEntry(0) == (0, 4))
        #expect(try harness.memory.read(at: GuestAddress(Self.eventBuffer), count: 8) == [0, 0, 0, 0] + [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(!harness.device.transportResetPending)
        #expect(harness.interrupts.count >= 1)
        // Data on the old connection is refused; a new connection works.
        try harness.send(VsockHarness.header(.readWrite, length: 3), payload: [1, 2, 3])
        #expect(try harness.received().map(\.header.operation) == [.reset])
        #expect(try harness.connect() != nil)
        #expect(harness.device.connectionCount == 1)
    }

    @Test func vsockTransportResetWaitsForAnEventBuffer() throws {
        var harness = try VsockHarness()
        try harness.postReceiveBuffers(8)
        #expect(try harness.connect() != nil)
        try harness.restore(harness.saveState())
        harness.mmio.device.serveQueuesAfterRestore()
        #expect(harness.device.transportResetPending)
        #expect(try harness.event.usedIndex() == 0)
        // A buffer the driver posts and notifies gets the event.
        try Self.postEventBuffer(&harness, head: 0, notify: true)
        #expect(try harness.event.usedEntry(0) == (0, 4))
        #expect(!harness.device.transportResetPending)
        #expect(try harness.memory.read(at: GuestAddress(Self.eventBuffer), count: 4) == [0, 0, 0, 0])
    }

    @Test func vsockTransportResetGoesOutWhenAnyQueueIsServed() throws {
        var harness = try VsockHarness()
        try harness.postReceiveBuffers(8)
        try harness.restore(harness.saveState())
        // Posted without a notification; the next transmit serves the event queue too.
        try Self.postEventBuffer(&harness, head: 0, notify: false)
        #expect(try harness.connect() != nil)
        #expect(try harness.event.usedEntry(0) == (0, 4))
        #expect(!harness.device.transportResetPending)
    }

    @Test func vsockDriverResetForgetsThePendingEvent() throws {
        var harness = try VsockHarness()
        try harness.restore(harness.saveState())
        #expect(harness.device.transportResetPending)
        harness.mmio.write(VirtioMMIORegister.status, 0)
        #expect(!harness.device.transportResetPending)
    }
}
