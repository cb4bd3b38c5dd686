/// Transport feature bits (virtio 1.2 section 6) and device status bits (section 2.1).
public enum VirtioFeature {
    /// The driver may use indirect descriptor tables.
    public static let indirectDescriptors: UInt64 = 1 << 28
    /// used_event / avail_event suppress notifications and interrupts.
    public static let eventIndex: UInt64 = 1 << 29
    /// Virtio 1.x (not legacy). Always offered; a driver that refuses it fails FEATURES_OK.
    public static let version1: UInt64 = 1 << 32
    /// The transport bits this implementation offers on every device.
    public static let transport: UInt64 = indirectDescriptors | eventIndex | version1
    /// Bits a device may offer for itself: 0-23 and 50-63 (24-49 are reserved for transports).
    public static let deviceSpecificMask: UInt64 = 0x00FF_FFFF | (~UInt64(0) << 50)
}
