import Virtio

/// A virtio-blk drive as the guest sees it now (`VirtualMachine.driveState(index:)`):
/// its backing file (as configured or last set by `updateDrive(index:path:)`), its
/// capacity in sectors, read-only-ness and ConfigGeneration.
public typealias DriveState = BlockImageInfo
