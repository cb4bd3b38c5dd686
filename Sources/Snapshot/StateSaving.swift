/// A piece of the machine whose state goes into a snapshot: a device, a virtqueue
/// transport. `saveState` runs while the VM is paused; `restoreState` runs on a
/// freshly built, not yet started machine, before any vCPU runs. A restore that
/// throws leaves the machine unusable, and the caller discards it.
public protocol StateSaving: AnyObject {
    /// The section name in the state file, unique in the machine (e.g. "serial",
    /// "virtio.0"). Restoring checks that the snapshot has it.
    var stateSectionName: String { get }
    func saveState(into writer: inout StateWriter)
    func restoreState(from reader: inout StateReader) throws(SnapshotError)
}
