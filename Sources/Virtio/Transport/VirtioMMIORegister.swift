/// Register offsets of the virtio-mmio transport, version 2 (virtio 1.2 section 4.2.2).
public enum VirtioMMIORegister {
    public static let magicValue: UInt64 = 0x000
    public static let version: UInt64 = 0x004
    public static let deviceID: UInt64 = 0x008
    public static let vendorID: UInt64 = 0x00C
    public static let deviceFeatures: UInt64 = 0x010
    public static let deviceFeaturesSelect: UInt64 = 0x014
    public static let driverFeatures: UInt64 = 0x020
    public static let driverFeaturesSelect: UInt64 = 0x024
    public static let queueSelect: UInt64 = 0x030
    public static let queueNumMax: UInt64 = 0x034
    public static let queueNum: UInt64 = 0x038
    public static let queueReady: UInt64 = 0x044
    public static let queueNotify: UInt64 = 0x050
    public static let interruptStatus: UInt64 = 0x060
    public static let interruptACK: UInt64 = 0x064
    public static let status: UInt64 = 0x070
    public static let queueDescLow: UInt64 = 0x080
    public static let queueDescHigh: UInt64 = 0x084
    public static let queueDriverLow: UInt64 = 0x090
    public static let queueDriverHigh: UInt64 = 0x094
    public static let queueDeviceLow: UInt64 = 0x0A0
    public static let queueDeviceHigh: UInt64 = 0x0A4
    public static let sharedMemorySelect: UInt64 = 0x0AC
    public static let sharedMemoryLengthLow: UInt64 = 0x0B0
    public static let sharedMemoryLengthHigh: UInt64 = 0x0B4
    public static let sharedMemoryBaseLow: UInt64 = 0x0B8
    public static let sharedMemoryBaseHigh: UInt64 = 0x0BC
    public static let configGeneration: UInt64 = 0x0FC
    /// The device-specific configuration space starts here.
    public static let config: UInt64 = 0x100

    /// "virt" in little-endian ASCII.
    public static let magic: UInt32 = 0x7472_6976
    /// InterruptStatus bit: a queue has new used buffers.
    public static let interruptUsedBuffer: UInt32 = 1
    /// InterruptStatus bit: the configuration space changed (or NEEDS_RESET was set).
    public static let interruptConfigChange: UInt32 = 2

    /// Windows of write-only registers whose writes may be delivered late, at the
    /// driver's next register access that exits (a KVM coalesced MMIO zone): each
    /// only stores a value that a later exiting access acts on. DeviceFeaturesSel
    /// up to QueueSel (read back through DeviceFeatures or QueueNumMax), QueueNum,
    /// and the six queue address registers (used when QueueReady is written). The
    /// reserved words inside them ignore writes, as they do anyway.
    ///
    /// Left out on purpose: QueueNotify (an ioeventfd), Status and QueueReady
    /// (they act at once), and InterruptACK: the I/O thread sets InterruptStatus
    /// bits concurrently, so an ACK replayed late could clear a bit raised after
    /// the driver's ACK and lose a completion.
    public static let coalescableRanges: [(offset: UInt64, size: UInt32)] = [
        (deviceFeaturesSelect, UInt32(queueSelect + 4 - deviceFeaturesSelect)),
        (queueNum, 4),
        (queueDescLow, UInt32(queueDeviceHigh + 4 - queueDescLow)),
    ]
}
