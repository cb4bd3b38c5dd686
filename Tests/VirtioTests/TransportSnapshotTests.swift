import Memory
import Snapshot
import Testing
@testable import Virtio

/// Saving and restoring the virtio-mmio transport and its queues (with virtio-rng,
/// the device with no state of its own), and rejecting corrupted state.
@Suite struct TransportSnapshotTests {
    typealias R = VirtioMMIORegister

    /// Posts a 32-byte entropy request in descriptor `head` and notifies.
    static func request(_ rig: inout SnapshotRig, head: UInt16) throws {
        try rig.rings[0].setDescriptor(head, address: 0x10000 + UInt64(head) * 0x100, length: 32,
                                       flags: Descriptor.flagWrite)
        try rig.rings[0].publish(head)
        rig.notify(0)
    }

    /// A live rng device that served two requests, with EVENT_IDX.
    static func servedRNG() throws -> SnapshotRig {
        var rig = SnapshotRig(device: VirtioRNG(), rings: [try TestDriver(size: 16)],
                              features: VirtioFeature.version1 | VirtioFeature.eventIndex)
        try request(&rig, head: 0)
        try request(&rig, head: 1)
        #expect(try rig.rings[0].usedIndex() == 2)
        return rig
    }

    @Test func rngContinuesAfterRestoreWithTheSameQueueState() throws {
        let rig = try Self.servedRNG()
        #expect(rig.interrupts.count == 1)  // the second used entry was not asked for (used_event 0)
        let saved = rig.save()
        var restored = try rig.restored(onto: VirtioRNG())
        #expect(restored.transport.queueStates == rig.transport.queueStates)
        #expect(restored.save() == saved)
        #expect(restored.mmio.status == rig.mmio.status)
        #expect(restored.mmio.read32(R.interruptStatus) == R.interruptUsedBuffer)
        #expect(restored.transport.queueStates[0].nextUsed == 2)
        // The interrupt bookkeeping came along: used_event 5 is not in [2, 3), so no interrupt...
        try restored.rings[0].setUsedEvent(5)
        try Self.request(&restored, head: 2)
        #expect(try restored.rings[0].usedIndex() == 3)
        #expect(try restored.rings[0].usedEntry(2) == (2, 32))
        #expect(restored.interrupts.count == 0)
        // ...and used_event 3 is in [3, 4).
        try restored.rings[0].setUsedEvent(3)
        try Self.request(&restored, head: 3)
        #expect(try restored.rings[0].usedEntry(3) == (3, 32))
        #expect(restored.interrupts.count == 1)
        #expect(restored.log.lines.isEmpty)
    }

    @Test func unconfiguredDeviceRoundTrips() throws {
        let memory = try TestDriver().memory
        let transport = VirtioMMIODevice(device: VirtioRNG(), memory: memory, interrupt: InterruptCounter(),
                                         log: LogRecorder().sink)
        #expect(transport.stateSectionName == "virtio-rng")
        var writer = StateWriter()
        transport.saveState(into: &writer)
        #expect(SnapshotRig.restoreError(writer.bytes, onto: VirtioRNG(), memory: memory) == nil)
    }

    @Test func bufferPublishedBeforeTheSnapshotIsServedAfterRestore() throws {
        var rig = try Self.servedRNG()
        // Published, but the notification is lost with the old machine.
        try rig.rings[0].setDescriptor(2, address: 0x10200, length: 16, flags: Descriptor.flagWrite)
        try rig.rings[0].publish(2)
        let restored = try rig.restored(onto: VirtioRNG())
        #expect(try restored.rings[0].usedIndex() == 2)
        restored.transport.serveQueuesAfterRestore()
        #expect(try restored.rings[0].usedIndex() == 3)
        #expect(try restored.rings[0].usedEntry(2) == (2, 16))
    }

    /// The error restoring `state` after `edit` onto a fresh rng device.
    static func error(_ edit: (inout SavedTransport) -> Void) throws -> SnapshotError? {
        let rig = try Self.servedRNG()
        var state = try SavedTransport(rig.save())
        edit(&state)
        return SnapshotRig.restoreError(state.bytes, onto: VirtioRNG(), memory: try TestDriver().memory)
    }

    static func field(_ name: String) -> String { "\(SnapshotRig.sectionName).\(name)" }

    @Test func badQueueSizesAreRejected() throws {
        #expect(try Self.error { $0.queues[0].size = 3 }?.subject == Self.field("queue 0 size"))
        #expect(try Self.error { $0.queues[0].size = 0 }?.subject == Self.field("queue 0 size"))
        #expect(try Self.error { $0.queues[0].size = 128 }?.subject == Self.field("queue 0 size"))  // max 64
        #expect(try Self.error { $0.queues[0].maxSize = 128 }?.subject == Self.field("queue 0 maximum size"))
    }

    @Test func ringsOutsideMemoryOrMisalignedAreRejected() throws {
        let end = TestDriver.memorySize
        #expect(try Self.error { $0.queues[0].deviceArea = end - 8 }?.subject == Self.field("queue 0 device area"))
        #expect(try Self.error { $0.queues[0].driverArea = UInt64.max - 1 }?.subject
            == Self.field("queue 0 driver area"))
        #expect(try Self.error { $0.queues[0].descriptorTable = 0x1008 }?.subject
            == Self.field("queue 0 descriptor table"))
        #expect(try Self.error { $0.queues[0].deviceArea = 0x4002 }?.subject == Self.field("queue 0 device area"))
    }

    @Test func inconsistentIndexesAreRejected() throws {
        // 17 chains in flight on a queue of 16.
        #expect(try Self.error { $0.queues[0].nextAvail = $0.queues[0].nextUsed &+ 17 }?.subject
            == Self.field("queue 0 next avail"))
        // A queue that is not ready cannot have been served.
        #expect(try Self.error { $0.queues[0].ready = false }?.subject == Self.field("queue 0 next avail"))
        #expect(try Self.error { $0.status = 0; $0.interruptStatus = 0 }?.subject == Self.field("queue 0 next avail"))
    }

    @Test func featuresAndStatusAreChecked() throws {
        #expect(try Self.error { $0.driverFeatures |= 1 << 40 }?.subject == Self.field("driver features"))
        #expect(try Self.error { $0.driverFeatures &= ~VirtioFeature.version1 }?.subject
            == Self.field("driver features"))
        #expect(try Self.error { $0.status |= 0x10 }?.subject == Self.field("status"))
        #expect(try Self.error { $0.status &= ~DeviceStatus.featuresOK }?.subject == Self.field("status"))
        #expect(try Self.error { $0.status &= ~DeviceStatus.acknowledge }?.subject == Self.field("status"))
        #expect(try Self.error { $0.interruptStatus = 4 }?.subject == Self.field("interrupt status"))
        #expect(try Self.error { $0.layout = 2 }?.subject == Self.field("layout version"))
        #expect(try Self.error { $0.configGeneration = 1 }?.subject == "\(SnapshotRig.sectionName) config generation")
        #expect(try Self.error { $0.device = [0] }?.subject == Self.field("device"))
        // A device that needs a reset is not served, so a bad ring waits for the driver's reset.
        #expect(try Self.error { $0.status |= DeviceStatus.needsReset; $0.queues[0].size = 3 } == nil)
    }

    @Test func anotherDeviceOrQueueCountIsAMismatch() throws {
        let rig = try Self.servedRNG()
        let memory = rig.memory
        let error = SnapshotRig.restoreError(rig.save(), onto: VirtioConsole(output: OutputRecorder()), memory: memory)
        #expect(error == .mismatch(what: "\(SnapshotRig.sectionName) device", snapshot: "virtio-rng",
                                   machine: "virtio-console"))
        var state = try SavedTransport(rig.save())
        state.queueCount = 2
        state.queues.append(state.queues[0])
        #expect(SnapshotRig.restoreError(state.bytes, onto: VirtioRNG(), memory: memory)?.subject
            == "\(SnapshotRig.sectionName) queue count")
    }

    @Test func trailingBytesAreRejected() throws {
        let rig = try Self.servedRNG()
        let error = SnapshotRig.restoreError(rig.save() + [0], onto: VirtioRNG(), memory: rig.memory)
        #expect(error?.subject == SnapshotRig.sectionName)
    }

    /// Every prefix of a saved state is refused as truncated, and nothing traps.
    @Test(arguments: [false, true]) func everyTruncationIsRejected(withDeviceState: Bool) throws {
        let memory = try TestDriver().memory
        let bytes: [UInt8]
        let makeDevice: () -> any VirtioDevice
        if withDeviceState {
            let console = VirtioConsole(output: OutputRecorder())
            console.receive(Array("pending".utf8))
            let rig = SnapshotRig(device: console, rings: [try TestDriver(size: 16), try TestDriver(size: 8, base: 0x8000)])
            bytes = rig.save()
            makeDevice = { VirtioConsole(output: OutputRecorder()) }
        } else {
            bytes = try Self.servedRNG().save()
            makeDevice = { VirtioRNG() }
        }
        #expect(SnapshotRig.restoreError(bytes, onto: makeDevice(), memory: memory) == nil)
        for count in 0..<bytes.count {
            let error = SnapshotRig.restoreError(Array(bytes.prefix(count)), onto: makeDevice(), memory: memory)
            guard case .truncated = error else {
                Issue.record("a state cut to \(count) of \(bytes.count) bytes gave \(String(describing: error))")
                return
            }
        }
    }
}
