/// The bits of the device status field (virtio 1.2 section 2.1).
public enum DeviceStatus {
    public static let acknowledge: UInt32 = 1
    public static let driver: UInt32 = 2
    public static let driverOK: UInt32 = 4
    public static let featuresOK: UInt32 = 8
    /// Set by the device: it hit an error it cannot recover from without a reset.
    public static let needsReset: UInt32 = 0x40
    public static let failed: UInt32 = 0x80
}
