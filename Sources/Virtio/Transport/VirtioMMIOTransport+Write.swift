/// Register writes: features, status, queue set-up, notify and interrupt ACK.
extension VirtioMMIOTransport {
    /// Handles a write of `value` (`width` bytes) at `offset`.
    public mutating func write(offset: UInt64, value: UInt64, width: Int) -> TransportEvent {
        if offset >= VirtioMMIORegister.config {
            writeConfig(offset: offset - VirtioMMIORegister.config, value: value, width: width)
            return .none
        }
        guard width == 4 else {
            log.report("\(width)-byte write to register 0x\(String(offset, radix: 16)) ignored (registers are 32-bit)")
            return .none
        }
        return writeRegister(offset, UInt32(truncatingIfNeeded: value))
    }

    private mutating func writeRegister(_ offset: UInt64, _ value: UInt32) -> TransportEvent {
        typealias R = VirtioMMIORegister
        switch offset {
        case R.deviceFeaturesSelect: deviceFeaturesSelect = value
        case R.driverFeaturesSelect: driverFeaturesSelect = value
        case R.driverFeatures: writeDriverFeatures(value)
        case R.queueSelect: queueSelect = value
        case R.queueNum, R.queueReady, R.queueDescLow, R.queueDescHigh,
            R.queueDriverLow, R.queueDriverHigh, R.queueDeviceLow, R.queueDeviceHigh:
            writeQueueRegister(offset, value)
        case R.queueNotify: processQueue(Int(value), fromRegister: true)
        case R.interruptACK: interruptStatus &= ~value
        case R.status: return writeStatus(value)
        case R.sharedMemorySelect: break
        default:
            log.report("write of 0x\(String(value, radix: 16)) to read-only or unknown register 0x\(String(offset, radix: 16)) ignored")
        }
        return .none
    }

    private func writeConfig(offset: UInt64, value: UInt64, width: Int) {
        guard [1, 2, 4, 8].contains(width), offset < 0x1000 else { return }
        for i in 0..<width {
            device.writeConfig(at: Int(offset) + i, value: UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))))
        }
    }

    private mutating func writeDriverFeatures(_ value: UInt32) {
        guard status & (DeviceStatus.featuresOK | DeviceStatus.driverOK) == 0 else {
            fail("DriverFeatures written after FEATURES_OK (0x\(String(value, radix: 16)), select \(driverFeaturesSelect))")
            return
        }
        guard driverFeaturesSelect < 2 else {
            log.report("DriverFeatures written with DriverFeaturesSel \(driverFeaturesSelect); ignored")
            return
        }
        let shift = 32 * UInt64(driverFeaturesSelect)
        driverFeatures = (driverFeatures & ~(0xFFFF_FFFF << shift)) | (UInt64(value) << shift)
    }

    private mutating func writeQueueRegister(_ offset: UInt64, _ value: UInt32) {
        typealias R = VirtioMMIORegister
        let name = "queue register 0x\(String(offset, radix: 16))"
        guard status & DeviceStatus.driverOK == 0 else {
            log.report("\(name) written after DRIVER_OK (0x\(String(value, radix: 16))); ignored")
            return
        }
        guard let index = selectedQueue else {
            log.report("\(name) written for queue \(queueSelect), which does not exist; ignored")
            return
        }
        if offset == R.queueReady {
            queues[index].ready = value & 1 != 0
            validated[index] = false
            return
        }
        guard !queues[index].ready else {
            log.report("\(name) of queue \(index) written while it is ready; ignored")
            return
        }
        let high = UInt64(value) << 32
        let low = UInt64(value)
        switch offset {
        case R.queueNum: queues[index].size = UInt16(clamping: value)
        case R.queueDescLow: queues[index].descriptorTable.rawValue = queues[index].descriptorTable.rawValue & ~0xFFFF_FFFF | low
        case R.queueDescHigh: queues[index].descriptorTable.rawValue = queues[index].descriptorTable.rawValue & 0xFFFF_FFFF | high
        case R.queueDriverLow: queues[index].driverArea.rawValue = queues[index].driverArea.rawValue & ~0xFFFF_FFFF | low
        case R.queueDriverHigh: queues[index].driverArea.rawValue = queues[index].driverArea.rawValue & 0xFFFF_FFFF | high
        case R.queueDeviceLow: queues[index].deviceArea.rawValue = queues[index].deviceArea.rawValue & ~0xFFFF_FFFF | low
        case R.queueDeviceHigh: queues[index].deviceArea.rawValue = queues[index].deviceArea.rawValue & 0xFFFF_FFFF | high
        default: break
        }
    }
}
