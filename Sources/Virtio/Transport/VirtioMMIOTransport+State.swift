import Memory
import Snapshot

/// Saving and restoring the transport: its registers, every queue, and the
/// device's own state (length-prefixed, read by the device with its own context).
///
/// Layout: layout version (UInt32), device ID, queue count, Status,
/// InterruptStatus (UInt32 each), DriverFeatures (UInt64), DeviceFeaturesSel,
/// DriverFeaturesSel, QueueSel, ConfigGeneration (UInt32 each), one
/// `VirtqueueState` per queue, then the device's bytes.
extension VirtioMMIOTransport {
    static let stateLayoutVersion: UInt32 = 1
    /// Device state larger than this is refused (console input, the largest, is 64 KiB).
    static let largestDeviceState = 1 << 20
    /// Every status bit the spec defines.
    static let knownStatusBits = DeviceStatus.acknowledge | DeviceStatus.driver | DeviceStatus.driverOK
        | DeviceStatus.featuresOK | DeviceStatus.needsReset | DeviceStatus.failed

    /// Writes the transport's state. A chain the device holds unused is given back
    /// to the ring: its queue's next avail is saved that much earlier.
    public func saveState(into writer: inout StateWriter) {
        writer.write(Self.stateLayoutVersion)
        writer.write(device.deviceID)
        writer.write(UInt32(queues.count))
        writer.write(status)
        writer.write(interruptStatus)
        writer.write(driverFeatures)
        writer.write(deviceFeaturesSelect)
        writer.write(driverFeaturesSelect)
        writer.write(queueSelect)
        writer.write(device.configGeneration)
        for (index, queue) in queues.enumerated() {
            var state = VirtqueueState(queue)
            state.nextAvail &-= min(device.chainsHeld(inQueue: index), queue.nextAvail &- queue.nextUsed)
            state.write(into: &writer)
        }
        var deviceWriter = StateWriter()
        device.saveDeviceState(into: &deviceWriter)
        writer.write(bytes: deviceWriter.bytes)
    }

    /// Reads what `saveState` wrote into a freshly built transport, before the
    /// guest runs. Everything is read and checked before anything is applied; a
    /// field that cannot be right is an error naming it.
    public mutating func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        let context = reader.context
        let layout = try reader.readUInt32("layout version")
        guard layout == Self.stateLayoutVersion else {
            throw .invalidValue(field: "\(context).layout version", reason: "\(layout) is not \(Self.stateLayoutVersion)")
        }
        let deviceID = try reader.readUInt32("device ID")
        guard deviceID == device.deviceID else {
            throw .mismatch(what: "\(context) device", snapshot: Self.name(ofDevice: deviceID),
                            machine: Self.name(ofDevice: device.deviceID))
        }
        let queueCount = try reader.readUInt32("queue count")
        guard queueCount == queues.count else {
            throw .mismatch(what: "\(context) queue count", snapshot: "\(queueCount)", machine: "\(queues.count)")
        }
        let status = try reader.readUInt32("status")
        let interruptStatus = try reader.readUInt32("interrupt status")
        let driverFeatures = try reader.readUInt64("driver features")
        let deviceFeaturesSelect = try reader.readUInt32("device features select")
        let driverFeaturesSelect = try reader.readUInt32("driver features select")
        let queueSelect = try reader.readUInt32("queue select")
        let configGeneration = try reader.readUInt32("config generation")
        var states: [VirtqueueState] = []
        for index in queues.indices { states.append(try VirtqueueState(from: &reader, index: index)) }
        let deviceBytes = try reader.readBytes("device state", maximumCount: Self.largestDeviceState)
        try reader.finish()

        try checkStatus(status, driverFeatures: driverFeatures, interruptStatus: interruptStatus, context: context)
        var mustValidate: [Bool] = []
        for index in queues.indices {
            mustValidate.append(try checkQueue(states[index], index: index, status: status, context: context))
        }
        var deviceReader = StateReader(deviceBytes, context: "\(context).device")
        try device.restoreDeviceState(from: &deviceReader)
        try deviceReader.finish()
        // Last check, and the device's first change: a device whose configuration
        // can change (a replaced disk image) takes the snapshot's generation.
        let machineGeneration = device.configGeneration
        guard device.restoreConfigGeneration(configGeneration) else {
            throw .mismatch(what: "\(context) config generation", snapshot: "\(configGeneration)",
                            machine: "\(machineGeneration)")
        }

        self.status = status
        self.interruptStatus = interruptStatus
        self.driverFeatures = driverFeatures
        self.deviceFeaturesSelect = deviceFeaturesSelect
        self.driverFeaturesSelect = driverFeaturesSelect
        self.queueSelect = queueSelect
        let live = status & DeviceStatus.driverOK != 0
        for index in queues.indices {
            queues[index].apply(states[index])
            queues[index].eventIndex = live && driverFeatures & VirtioFeature.eventIndex != 0
            queues[index].indirectDescriptors = live && driverFeatures & VirtioFeature.indirectDescriptors != 0
            validated[index] = mustValidate[index]
        }
        if live { device.activate(features: driverFeatures) }
    }

    /// Serves every ready queue once, if the device is live: after a restore, for
    /// buffers the driver added whose notification the snapshot did not keep.
    public mutating func serveReadyQueues() {
        for index in queues.indices where queues[index].ready {
            processQueue(index, fromRegister: false)
        }
    }

    /// Status holds only defined bits, in a combination the state machine can
    /// reach: DRIVER_OK needs FEATURES_OK, which needs ACKNOWLEDGE, DRIVER and
    /// accepted features; interrupts are raised only once DRIVER_OK was set.
    private func checkStatus(_ status: UInt32, driverFeatures: UInt64, interruptStatus: UInt32, context: String)
        throws(SnapshotError)
    {
        func invalid(_ field: String, _ reason: String) -> SnapshotError {
            .invalidValue(field: "\(context).\(field)", reason: reason)
        }
        let hex = "0x" + String(status, radix: 16)
        guard status & ~Self.knownStatusBits == 0 else { throw invalid("status", "\(hex) has undefined bits") }
        if status & DeviceStatus.driverOK != 0, status & DeviceStatus.featuresOK == 0 {
            throw invalid("status", "\(hex) has DRIVER_OK without FEATURES_OK")
        }
        if status & DeviceStatus.featuresOK != 0 {
            let both = DeviceStatus.acknowledge | DeviceStatus.driver
            guard status & both == both else { throw invalid("status", "\(hex) has FEATURES_OK without ACKNOWLEDGE and DRIVER") }
            let unoffered = driverFeatures & ~offeredFeatures
            guard unoffered == 0 else {
                throw invalid("driver features", "0x\(String(driverFeatures, radix: 16)) include 0x"
                    + "\(String(unoffered, radix: 16)), which the device does not offer")
            }
            guard driverFeatures & VirtioFeature.version1 != 0 else {
                throw invalid("driver features", "VIRTIO_F_VERSION_1 is missing although FEATURES_OK is set")
            }
        }
        let known = VirtioMMIORegister.interruptUsedBuffer | VirtioMMIORegister.interruptConfigChange
        guard interruptStatus & ~known == 0 else {
            throw invalid("interrupt status", "0x\(String(interruptStatus, radix: 16)) has undefined bits")
        }
        guard interruptStatus == 0 || status & DeviceStatus.driverOK != 0 else {
            throw invalid("interrupt status", "interrupts pending before DRIVER_OK")
        }
    }

    /// Checks one queue against the device and guest memory; returns whether it
    /// was validated (the device is live and serves it). A queue the device has
    /// not served must be at index 0; one it serves must have a valid geometry
    /// and at most `size` chains in flight. (A live queue of a device that needs
    /// a reset is not served until the reset, so its geometry is checked then.)
    private func checkQueue(_ state: VirtqueueState, index: Int, status: UInt32, context: String)
        throws(SnapshotError) -> Bool
    {
        let name = "\(context).queue \(index)"
        guard state.maxSize == queues[index].maxSize else {
            throw .mismatch(what: "\(name) maximum size", snapshot: "\(state.maxSize)",
                            machine: "\(queues[index].maxSize)")
        }
        let served = state.ready && status & DeviceStatus.driverOK != 0
        guard served else {
            guard state.nextAvail == 0, state.nextUsed == 0, state.signalledUsed == nil, !state.addedSinceDecision
            else {
                throw .invalidValue(field: "\(name) next avail",
                                    reason: "a queue the device has not served must be at index 0")
            }
            return false
        }
        guard status & (DeviceStatus.needsReset | DeviceStatus.failed) == 0 else { return false }
        var queue = queues[index]
        queue.apply(state)
        do {
            try queue.validate()
        } catch {
            switch error {
            case .invalidQueueSize(let size, let max):
                throw .invalidValue(field: "\(name) size", reason: "\(size) is not a power of two in 1...\(max)")
            case .misalignedRing(let ring, _, _), .ringOutsideMemory(let ring, _, _):
                throw .invalidValue(field: "\(name) \(ring)", reason: error.description)
            default:
                throw .invalidValue(field: name, reason: error.description)
            }
        }
        let inFlight = state.nextAvail &- state.nextUsed
        guard inFlight <= state.size else {
            throw .invalidValue(field: "\(name) next avail", reason: "\(state.nextAvail) is \(inFlight) entries "
                + "past next used \(state.nextUsed), more than the queue size \(state.size)")
        }
        return true
    }
}
