import Devices
import Memory
import Virtio

/// A test's side of the virtio-mmio window: 32-bit register accesses through the
/// BusDevice API, and the driver initialisation sequence of virtio 1.2 section 3.1.
struct MMIODriver {
    typealias R = VirtioMMIORegister
    let device: VirtioMMIODevice

    func read(_ offset: UInt64, width: Int = 4) -> UInt64 {
        var bytes = [UInt8](repeating: 0xEE, count: width)
        bytes.withUnsafeMutableBytes { device.read(offset: offset, data: $0) }
        return bytes.withUnsafeBytes { $0.littleEndianValue }
    }

    func read32(_ offset: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: read(offset)) }

    func write(_ offset: UInt64, _ value: UInt64, width: Int = 4) {
        let bytes = (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        _ = bytes.withUnsafeBytes { device.write(offset: offset, data: $0) }
    }

    var status: UInt32 { read32(R.status) }

    /// The 64 feature bits the device offers.
    func deviceFeatures() -> UInt64 {
        write(R.deviceFeaturesSelect, 0)
        let low = UInt64(read32(R.deviceFeatures))
        write(R.deviceFeaturesSelect, 1)
        return low | UInt64(read32(R.deviceFeatures)) << 32
    }

    func writeDriverFeatures(_ features: UInt64) {
        write(R.driverFeaturesSelect, 0)
        write(R.driverFeatures, features & 0xFFFF_FFFF)
        write(R.driverFeaturesSelect, 1)
        write(R.driverFeatures, features >> 32)
    }

    /// ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns whether FEATURES_OK stuck.
    @discardableResult
    func negotiate(_ features: UInt64) -> Bool {
        write(R.status, 0)
        write(R.status, UInt64(DeviceStatus.acknowledge))
        write(R.status, UInt64(DeviceStatus.acknowledge | DeviceStatus.driver))
        writeDriverFeatures(features)
        write(R.status, UInt64(DeviceStatus.acknowledge | DeviceStatus.driver | DeviceStatus.featuresOK))
        return status & DeviceStatus.featuresOK != 0
    }

    /// Programs queue `index` with `ring`'s size and addresses and sets it ready.
    func setUpQueue(_ index: UInt32, _ ring: TestDriver) {
        write(R.queueSelect, UInt64(index))
        write(R.queueNum, UInt64(ring.size))
        for (low, address) in [
            (R.queueDescLow, ring.descriptorTable), (R.queueDriverLow, ring.driverArea),
            (R.queueDeviceLow, ring.deviceArea),
        ] {
            write(low, address.rawValue & 0xFFFF_FFFF)
            write(low + 4, address.rawValue >> 32)
        }
        write(R.queueReady, 1)
    }

    func driverOK() {
        write(R.status, UInt64(status | DeviceStatus.driverOK))
    }
}
