import Snapshot

/// virtio-console keeps the host input the guest has not taken yet.
extension VirtioConsole {
    public func saveDeviceState(into writer: inout StateWriter) {
        let pending = state.withLock { $0.pending }
        writer.write(bytes: pending)
    }

    /// Saved input goes before any input that arrived since the device was built.
    public func restoreDeviceState(from reader: inout StateReader) throws(SnapshotError) {
        let saved = try reader.readBytes("pending input", maximumCount: Self.inputCapacity)
        state.withLock { state in
            state.pending = Array((saved + state.pending).prefix(Self.inputCapacity))
        }
    }
}
