import Snapshot

/// Snapshots of a virtio-mmio device: the transport's registers and queues and
/// the device's own state, in the section `stateSectionName`.
///
/// Restoring runs on a freshly built device before the guest runs. Afterwards,
/// once guest memory and every device are restored, the VMM calls
/// `serveQueuesAfterRestore()`: notifications pending at the snapshot are not
/// kept, and some devices have something to tell the driver (vsock's transport
/// reset).
extension VirtioMMIODevice: StateSaving {
    public func saveState(into writer: inout StateWriter) {
        transport.withLock { $0.saveState(into: &writer) }
    }

    public func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        try transport.withLock { (transport: inout VirtioMMIOTransport) throws(SnapshotError) in
            try transport.restoreState(from: &reader)
        }
    }

    /// Serves every ready queue once if the driver set DRIVER_OK. Safe from any thread.
    public func serveQueuesAfterRestore() {
        transport.withLock { $0.serveReadyQueues() }
    }

    /// Each queue's state as a snapshot would save it now (before giving back
    /// chains the device holds), for diagnostics and tests.
    public var queueStates: [VirtqueueState] {
        transport.withLock { $0.queues.map(VirtqueueState.init) }
    }
}
