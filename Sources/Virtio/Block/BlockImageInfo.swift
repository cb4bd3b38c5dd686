/// What a virtio-blk device is serving, read at one instant under its
/// transport's lock (`VirtioMMIODevice.blockImage`).
public struct BlockImageInfo: Equatable, Sendable {
    /// The backing file's path.
    public var path: String
    /// Capacity in 512-byte sectors (what the configuration space says).
    public var sectors: UInt64
    /// Whether the device is read-only.
    public var readOnly: Bool
    /// The device's ConfigGeneration: bumped by each replacement.
    public var configGeneration: UInt32

    public init(path: String, sectors: UInt64, readOnly: Bool, configGeneration: UInt32) {
        self.path = path
        self.sectors = sectors
        self.readOnly = readOnly
        self.configGeneration = configGeneration
    }
}
