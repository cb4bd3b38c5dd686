/// A virtio-blk drive as the guest sees it now (`VirtualMachine.driveState(index:)`).
public struct DriveState: Sendable, Equatable {
    /// The backing file, as configured or as last set by `updateDrive(index:path:)`.
    public var path: String
    public var readOnly: Bool
    /// Capacity in 512-byte sectors, as the device's configuration space says.
    public var sectors: UInt64
    /// The device's ConfigGeneration (bumped by each `updateDrive`).
    public var configGeneration: UInt32

    public init(path: String, readOnly: Bool, sectors: UInt64, configGeneration: UInt32) {
        self.path = path
        self.readOnly = readOnly
        self.sectors = sectors
        self.configGeneration = configGeneration
    }
}
