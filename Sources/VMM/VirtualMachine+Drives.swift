import Virtio

/// Changing a drive's backing file while the guest runs, like Firecracker's
/// `PATCH /drives/{drive_id}` with `path_on_host`.
extension VirtualMachine {
    /// Makes the file at `path` the disk behind drive `index` (0-based, in
    /// `configuration.drives` order), keeping its read-only setting. The guest
    /// sees the new capacity and a configuration-change interrupt, and its next
    /// requests reach the new file; snapshots from now on record `path`.
    ///
    /// Allowed once the VM has started, while it runs or is paused, until it ends.
    /// The new file is opened and checked before anything changes: on an error the
    /// old file stays in place.
    /// - Throws: `VMMError.invalidState` before `start()` or after the VM ended;
    ///   `VMMError.invalidConfiguration` (option "drive N") when there is no such
    ///   drive or the file cannot serve (missing, unreadable, not writable for a
    ///   read-write drive, not a regular file or block device, size not whole sectors).
    public func updateDrive(index: Int, path: String) throws(VMMError) {
        guard started.load(ordering: .acquiring) else {
            throw .invalidState(operation: "update a drive", state: "not started")
        }
        guard vcpuStates.contains(where: { $0 != .stopped }) else {
            throw .invalidState(operation: "update a drive", state: "stopped")
        }
        let transport = try driveTransport(index)
        // Under the drive list's lock, so that concurrent updates of one drive
        // record the path the device got last, and a snapshot sees both or neither.
        try currentDrives.withLock { (drives: inout [DriveConfiguration]) throws(VMMError) in
            do throws(VirtioError) { try transport.replaceBlockImage(path: path) } catch {
                throw .invalidConfiguration(option: "drive \(index)", reason: error.description)
            }
            drives[index].path = path
        }
    }

    /// The drives now: `configuration.drives` with the paths `updateDrive` set.
    public var drives: [DriveConfiguration] { currentDrives.withLock { $0 } }

    /// What drive `index` serves now, read from its device; nil if there is no such drive.
    public func driveState(index: Int) -> DriveState? {
        (try? driveTransport(index))?.blockImage
    }

    /// Drive `index`'s virtio transport: drives take the first slots (see
    /// `MachineBuilder.createVirtioDevices`).
    private func driveTransport(_ index: Int) throws(VMMError) -> VirtioMMIODevice {
        let count = configuration.drives.count
        guard (0..<count).contains(index), index < machine.virtio.count else {
            throw .invalidConfiguration(option: "drive \(index)",
                                        reason: count == 0 ? "the VM has no drives" : "the VM has drives 0...\(count - 1)")
        }
        return machine.virtio[index]
    }
}
