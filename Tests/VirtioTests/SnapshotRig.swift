import Devices
import Memory
import Snapshot
@testable import Virtio

/// A virtio device behind its MMIO transport, driven through registers, with the
/// test's rings: what a snapshot test saves, rebuilds over the same guest memory
/// and continues.
struct SnapshotRig {
    static let sectionName = "virtio.0"
    var rings: [TestDriver]
    let mmio: MMIODriver
    let interrupts = InterruptCounter()
    let log = LogRecorder()

    var memory: GuestMemory { rings[0].memory }
    var transport: VirtioMMIODevice { mmio.device }

    /// `device` initialised by a driver that takes `features` and sets up one
    /// queue per ring, then DRIVER_OK.
    init(device: any VirtioDevice, rings: [TestDriver], features: UInt64 = VirtioFeature.version1) {
        self.rings = rings
        mmio = MMIODriver(device: VirtioMMIODevice(
            device: device, memory: rings[0].memory, interrupt: interrupts, log: log.sink,
            stateSectionName: Self.sectionName))
        _ = mmio.negotiate(features)
        for (index, ring) in rings.enumerated() { mmio.setUpQueue(UInt32(index), ring) }
        mmio.driverOK()
    }

    /// A fresh transport for `device` over the same memory, not initialised.
    private init(rings: [TestDriver], device: any VirtioDevice) {
        self.rings = rings
        mmio = MMIODriver(device: VirtioMMIODevice(
            device: device, memory: rings[0].memory, interrupt: interrupts, log: log.sink,
            stateSectionName: Self.sectionName))
    }

    func save() -> [UInt8] {
        var writer = StateWriter()
        transport.saveState(into: &writer)
        return writer.bytes
    }

    /// A new transport for `device` over the same memory and rings (the driver's
    /// side carries on), restored from `state` (default: saved now).
    func restored(onto device: any VirtioDevice, state: [UInt8]? = nil) throws -> SnapshotRig {
        let rig = SnapshotRig(rings: rings, device: device)
        try Self.restore(rig.transport, state ?? save())
        return rig
    }

    static func restore(_ transport: VirtioMMIODevice, _ bytes: [UInt8]) throws(SnapshotError) {
        var reader = StateReader(bytes, context: transport.stateSectionName)
        try transport.restoreState(from: &reader)
    }

    /// A transport for `device` over fresh memory, restored from `bytes`: the error, or nil.
    static func restoreError(_ bytes: [UInt8], onto device: any VirtioDevice, memory: GuestMemory) -> SnapshotError? {
        let transport = VirtioMMIODevice(
            device: device, memory: memory, interrupt: InterruptCounter(), log: LogRecorder().sink,
            stateSectionName: sectionName)
        do {
            try restore(transport, bytes)
            return nil
        } catch {
            return error
        }
    }

    func notify(_ queue: Int) {
        mmio.write(VirtioMMIORegister.queueNotify, UInt64(queue))
    }
}

/// A saved transport state taken apart, to be changed and put back together:
/// how the tests make corrupted snapshots field by field.
struct SavedTransport {
    var layout: UInt32
    var deviceID: UInt32
    var queueCount: UInt32
    var status: UInt32
    var interruptStatus: UInt32
    var driverFeatures: UInt64
    var selects: [UInt32]
    var configGeneration: UInt32
    var queues: [VirtqueueState]
    var device: [UInt8]

    init(_ bytes: [UInt8]) throws {
        var reader = StateReader(bytes, context: "test")
        layout = try reader.readUInt32("layout")
        deviceID = try reader.readUInt32("device ID")
        queueCount = try reader.readUInt32("queue count")
        status = try reader.readUInt32("status")
        interruptStatus = try reader.readUInt32("interrupt status")
        driverFeatures = try reader.readUInt64("driver features")
        selects = [try reader.readUInt32("1"), try reader.readUInt32("2"), try reader.readUInt32("3")]
        configGeneration = try reader.readUInt32("config generation")
        queues = []
        for index in 0..<Int(queueCount) { queues.append(try VirtqueueState(from: &reader, index: index)) }
        device = try reader.readBytes("device", maximumCount: 1 << 20)
        try reader.finish()
    }

    var bytes: [UInt8] {
        var writer = StateWriter()
        for value in [layout, deviceID, queueCount, status, interruptStatus] { writer.write(value) }
        writer.write(driverFeatures)
        for value in selects + [configGeneration] { writer.write(value) }
        for queue in queues { queue.write(into: &writer) }
        writer.write(bytes: device)
        return writer.bytes
    }
}

extension SnapshotError {
    /// The field an `invalidValue` names, or the `what` of a `mismatch`/`truncated`.
    var subject: String? {
        switch self {
        case .invalidValue(let field, _): return field
        case .mismatch(let what, _, _): return what
        case .truncated(let what, _, _): return what
        default: return nil
        }
    }
}
