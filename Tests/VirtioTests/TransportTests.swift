import Devices
import Memory
import Synchronization
import Testing
@testable import Virtio

private typealias R = VirtioMMIORegister
private let offered = VirtioFeature.version1 | VirtioFeature.eventIndex | VirtioFeature.indirectDescriptors | 1

/// A transport around a RecordingDevice, its rings, interrupt counter and log.
private struct Fixture {
    let device = RecordingDevice()
    let interrupts = InterruptCounter()
    let log = LogRecorder()
    let mmio: MMIODriver
    var ring: TestDriver

    init() throws {
        ring = try TestDriver(size: 8)
        mmio = MMIODriver(device: VirtioMMIODevice(
            device: device, memory: ring.memory, interrupt: interrupts, log: log.sink))
        try ring.setDescriptor(0, address: 0x10000, length: 4, flags: Descriptor.flagWrite)
    }

    /// The whole initialisation: negotiate, queue 0, DRIVER_OK.
    func bringUp(features: UInt64 = VirtioFeature.version1) {
        mmio.negotiate(features)
        mmio.setUpQueue(0, ring)
        mmio.driverOK()
    }

    var processed: [Int] { device.record.withLock { $0.processed } }
}

@Suite struct TransportTests {
    @Test func identificationRegisters() throws {
        let f = try Fixture()
        #expect(f.mmio.read32(R.magicValue) == 0x7472_6976)
        #expect(f.mmio.read32(R.version) == 2)
        #expect(f.mmio.read32(R.deviceID) == 42)
        #expect(f.mmio.read32(R.vendorID) == VirtioMMIOTransport.vendorID)
        #expect(f.mmio.read32(R.configGeneration) == 5)
        #expect(f.mmio.deviceFeatures() == offered)  // reserved bit 30 dropped
        f.mmio.write(R.queueSelect, 1)
        #expect(f.mmio.read32(R.queueNumMax) == 64)
        f.mmio.write(R.queueSelect, 2)
        #expect(f.mmio.read32(R.queueNumMax) == 0)  // no such queue
    }

    @Test func driverInitSequenceAndANotifiedRequest() throws {
        var f = try Fixture()
        f.bringUp(features: offered)
        let expected = DeviceStatus.acknowledge | DeviceStatus.driver | DeviceStatus.featuresOK | DeviceStatus.driverOK
        #expect(f.mmio.status == expected)
        #expect(f.device.record.withLock { $0.activatedWith } == [offered])
        try f.ring.publish(0)
        f.mmio.write(R.queueNotify, 0)
        #expect(try f.ring.usedIndex() == 1)
        #expect(try f.ring.usedEntry(0) == (0, 7))
        #expect(f.mmio.read32(R.interruptStatus) == R.interruptUsedBuffer)
        #expect(f.interrupts.count == 1)
        f.mmio.write(R.interruptACK, UInt64(R.interruptUsedBuffer))
        #expect(f.mmio.read32(R.interruptStatus) == 0)
        #expect(f.log.lines.isEmpty)
    }

    @Test func ioEventPathServesTheSameQueue() throws {
        var f = try Fixture()
        f.bringUp()
        try f.ring.publish(0)
        f.mmio.device.processQueue(0)
        #expect(try f.ring.usedIndex() == 1)
        #expect(f.interrupts.count == 1)
    }

    @Test func featuresNotOfferedAreRefusedAtFeaturesOK() throws {
        let f = try Fixture()
        #expect(!f.mmio.negotiate(VirtioFeature.version1 | 1 << 30))
        #expect(f.mmio.status == DeviceStatus.acknowledge | DeviceStatus.driver)
        #expect(f.log.lines.count == 1)
        #expect(!f.mmio.negotiate(1))  // no VERSION_1: legacy drivers are refused
        #expect(f.mmio.negotiate(VirtioFeature.version1 | 1))
    }

    @Test func driverOKWithoutFeaturesOKIsIgnored() throws {
        let f = try Fixture()
        f.mmio.write(R.status, UInt64(DeviceStatus.acknowledge | DeviceStatus.driver | DeviceStatus.driverOK))
        #expect(f.mmio.status == DeviceStatus.acknowledge | DeviceStatus.driver)
        #expect(f.device.record.withLock { $0.activatedWith }.isEmpty)
    }

    @Test func clearingStatusBitsIsIgnored() throws {
        let f = try Fixture()
        f.bringUp()
        let before = f.mmio.status
        f.mmio.write(R.status, UInt64(DeviceStatus.acknowledge))
        #expect(f.mmio.status == before)
        #expect(f.log.lines.count == 1)
    }

    @Test func renegotiationAfterDriverOKSetsNeedsReset() throws {
        var f = try Fixture()
        f.bringUp()
        f.mmio.writeDriverFeatures(VirtioFeature.version1 | 1)
        #expect(f.mmio.status & DeviceStatus.needsReset != 0)
        #expect(f.mmio.read32(R.interruptStatus) & R.interruptConfigChange != 0)
        #expect(f.interrupts.count == 1)
        // A device that needs a reset serves nothing.
        try f.ring.publish(0)
        f.mmio.write(R.queueNotify, 0)
        #expect(try f.ring.usedIndex() == 0)
        // Reset recovers.
        f.mmio.write(R.status, 0)
        #expect(f.mmio.status == 0)
    }

    @Test func queueRegistersAfterDriverOKAreIgnored() throws {
        var f = try Fixture()
        f.bringUp()
        f.mmio.write(R.queueDescLow, 0x20000)
        f.mmio.write(R.queueReady, 0)
        #expect(f.mmio.read32(R.queueReady) == 1)
        try f.ring.publish(0)
        f.mmio.write(R.queueNotify, 0)
        #expect(try f.ring.usedIndex() == 1)  // still the original table
        #expect(f.log.lines.count == 2)
    }

    @Test func queueRegistersWhileReadyAreIgnored() throws {
        var f = try Fixture()
        f.mmio.negotiate(VirtioFeature.version1)
        f.mmio.setUpQueue(0, f.ring)
        f.mmio.write(R.queueNum, 4)
        f.mmio.write(R.queueDeviceLow, 0x30000)
        #expect(f.log.lines.count == 2)
        f.mmio.driverOK()
        try f.ring.publish(0)
        f.mmio.write(R.queueNotify, 0)
        #expect(try f.ring.usedIndex() == 1)
    }

    @Test(arguments: [UInt64(3), 128, 0x10008])
    func illegalQueueSizeNeedsResetWhenUsed(size: UInt64) throws {
        var f = try Fixture()
        f.mmio.negotiate(VirtioFeature.version1)
        f.mmio.write(R.queueSelect, 0)
        f.mmio.write(R.queueNum, size)
        f.mmio.write(R.queueDescLow, f.ring.descriptorTable.rawValue)
        f.mmio.write(R.queueDriverLow, f.ring.driverArea.rawValue)
        f.mmio.write(R.queueDeviceLow, f.ring.deviceArea.rawValue)
        f.mmio.write(R.queueReady, 1)
        f.mmio.driverOK()
        #expect(f.mmio.status & DeviceStatus.needsReset != 0)  // served once at DRIVER_OK
        try f.ring.publish(0)
        f.mmio.write(R.queueNotify, 0)
        #expect(try f.ring.usedIndex() == 0)
        #expect(f.processed.isEmpty)
        #expect(f.log.lines.contains { $0.contains("queue size") })
    }

    @Test func notifyBeforeReadyOrOutOfRangeIsIgnored() throws {
        var f = try Fixture()
        f.mmio.negotiate(VirtioFeature.version1)
        f.mmio.setUpQueue(0, f.ring)
        try f.ring.publish(0)
        f.mmio.write(R.queueNotify, 0)  // before DRIVER_OK
        f.mmio.device.processQueue(0)   // ioeventfd before DRIVER_OK: silently nothing
        f.mmio.driverOK()
        let servedAtActivation = f.processed
        f.mmio.write(R.queueNotify, 1)  // queue 1 never made ready
        f.mmio.write(R.queueNotify, 9)  // no queue 9
        f.mmio.device.processQueue(9)
        #expect(servedAtActivation == [0])
        #expect(f.processed == [0])
        #expect(f.log.lines.count == 3)
        #expect(f.mmio.status & DeviceStatus.needsReset == 0)
    }

    @Test func brokenChainSetsNeedsResetAndStopsTheQueue() throws {
        var f = try Fixture()
        f.bringUp()
        try f.ring.setDescriptor(1, address: 0x10000, length: 4, flags: Descriptor.flagNext, next: 1)
        try f.ring.publish(1)
        f.mmio.write(R.queueNotify, 0)
        #expect(f.mmio.status & DeviceStatus.needsReset != 0)
        #expect(f.mmio.read32(R.interruptStatus) == R.interruptConfigChange)
        #expect(f.log.lines.first?.contains("loop") == true)
        try f.ring.publish(0)
        f.mmio.write(R.queueNotify, 0)
        #expect(try f.ring.usedIndex() == 0)
    }

    @Test func resetReturnsEverythingToItsInitialState() throws {
        let f = try Fixture()
        let hooks = Mutex((activations: 0, resets: 0))
        f.mmio.device.onActivate = { hooks.withLock { $0.activations += 1 } }
        f.mmio.device.onReset = { hooks.withLock { $0.resets += 1 } }
        f.bringUp()
        f.mmio.write(R.status, 0)
        #expect(f.mmio.status == 0)
        f.mmio.write(R.queueSelect, 0)
        #expect(f.mmio.read32(R.queueReady) == 0)
        #expect(f.device.record.withLock { $0.resets } >= 1)
        #expect(hooks.withLock { $0.activations } == 1)
        #expect(hooks.withLock { $0.resets } >= 1)
    }

    @Test func registersAnswerOnly32BitAccesses() throws {
        let f = try Fixture()
        #expect(f.mmio.read(R.magicValue, width: 1) == 0)
        #expect(f.mmio.read(R.magicValue, width: 2) == 0)
        f.mmio.write(R.status, UInt64(DeviceStatus.acknowledge), width: 1)
        #expect(f.mmio.status == 0)
    }

    @Test func configSpaceTakesAnyWidth() throws {
        let f = try Fixture()
        #expect(f.mmio.read(R.config, width: 1) == 0x10)
        #expect(f.mmio.read(R.config + 2, width: 2) == 0x1312)
        #expect(f.mmio.read(R.config + 4, width: 4) == 0x1716_1514)
        #expect(f.mmio.read(R.config, width: 8) == 0x1716_1514_1312_1110)
        f.mmio.write(R.config + 3, 0xBEEF, width: 2)
        #expect(f.device.record.withLock { $0.configWrites } == [3: 0xEF, 4: 0xBE])
    }

    @Test func hostileStormIsRateLimited() throws {
        let f = try Fixture()
        for _ in 0..<1000 { f.mmio.write(R.queueNotify, 5) }
        #expect(f.log.lines.count == 33)
        #expect(f.log.lines.last?.contains("no longer logging") == true)
    }

    @Test func eventIndexNegotiatedReachesTheQueues() throws {
        var f = try Fixture()
        f.bringUp(features: VirtioFeature.version1 | VirtioFeature.eventIndex)
        try f.ring.setUsedEvent(5)  // not before used idx 6
        try f.ring.publish(0)
        f.mmio.write(R.queueNotify, 0)
        #expect(f.interrupts.count == 1)  // first decision always interrupts
        try f.ring.publish(0)
        f.mmio.write(R.queueNotify, 0)
        #expect(f.interrupts.count == 1)  // suppressed by used_event
        #expect(try f.ring.availEvent() == 2)
    }
}
