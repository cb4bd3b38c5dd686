/// The device status state machine (virtio 1.2 section 3.1): ACKNOWLEDGE, DRIVER,
/// FEATURES_OK (refused unless the driver took only offered features, VERSION_1
/// among them), DRIVER_OK (activates the device); 0 resets everything.
extension VirtioMMIOTransport {
    mutating func writeStatus(_ value: UInt32) -> TransportEvent {
        if value == 0 {
            reset()
            return .reset
        }
        let old = status
        let requested = value & ~DeviceStatus.needsReset  // only the device sets NEEDS_RESET
        let cleared = old & ~DeviceStatus.needsReset & ~requested
        guard cleared == 0 else {
            log.report("Status 0x\(String(value, radix: 16)) would clear bits 0x\(String(cleared, radix: 16)); ignored")
            return .none
        }
        var new = requested | (old & DeviceStatus.needsReset)
        let added = new & ~old
        if added & DeviceStatus.featuresOK != 0, let reason = featuresRefusal(new) {
            log.report("FEATURES_OK refused: \(reason)")
            new &= ~DeviceStatus.featuresOK
        }
        if added & DeviceStatus.driverOK != 0, new & DeviceStatus.featuresOK == 0 {
            log.report("DRIVER_OK without FEATURES_OK; ignored")
            new &= ~DeviceStatus.driverOK
        }
        status = new
        guard new & ~old & DeviceStatus.driverOK != 0 else { return .none }
        activate()
        return .activated
    }

    /// Why FEATURES_OK cannot be accepted now, or nil if it can.
    private func featuresRefusal(_ new: UInt32) -> String? {
        guard new & DeviceStatus.acknowledge != 0, new & DeviceStatus.driver != 0 else {
            return "ACKNOWLEDGE and DRIVER not set (status 0x\(String(new, radix: 16)))"
        }
        let unoffered = driverFeatures & ~offeredFeatures
        guard unoffered == 0 else {
            return "driver features 0x\(String(driverFeatures, radix: 16)) include 0x\(String(unoffered, radix: 16)), not offered"
        }
        guard driverFeatures & VirtioFeature.version1 != 0 else {
            return "driver features 0x\(String(driverFeatures, radix: 16)) lack VIRTIO_F_VERSION_1 (legacy is not supported)"
        }
        return nil
    }

    /// DRIVER_OK: queues learn the negotiated ring features and the device starts.
    /// `VirtioMMIODevice` then has each ready queue served once, in case buffers
    /// were added before (see `queueKick`).
    private mutating func activate() {
        for index in queues.indices {
            queues[index].eventIndex = driverFeatures & VirtioFeature.eventIndex != 0
            queues[index].indirectDescriptors = driverFeatures & VirtioFeature.indirectDescriptors != 0
        }
        device.activate(features: driverFeatures)
    }

    /// Status 0: the device and every queue return to their initial state.
    mutating func reset() {
        device.reset()
        for index in queues.indices {
            queues[index].reset()
            validated[index] = false
        }
        status = 0
        interruptStatus = 0
        driverFeatures = 0
        deviceFeaturesSelect = 0
        driverFeaturesSelect = 0
        queueSelect = 0
    }
}
