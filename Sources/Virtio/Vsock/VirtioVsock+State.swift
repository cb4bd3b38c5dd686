import Memory
import Snapshot

/// Connections cannot survive a snapshot: their host ends are Unix sockets of the
/// process that took it. A restored device has no connections and owes the
/// driver a VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (virtio 1.2 section 5.10.6.6),
/// which goes into the first event buffer the driver has posted; the driver then
/// drops its sockets and reads guest_cid again. Nothing else is saved.
extension VirtioVsock {
    /// VIRTIO_VSOCK_EVENT_TRANSPORT_RESET, the id of `struct virtio_vsock_event`.
    public static let eventTransportReset: UInt32 = 0
    /// Bytes of `struct virtio_vsock_event` (a le32 id).
    public static let eventSize = 4

    /// Whether a transport reset event waits for an event buffer.
    public var transportResetPending: Bool { state.withLock { $0.transportResetPending } }

    public func restoreDeviceState(from reader: inout StateReader) throws(SnapshotError) {
        state.withLock { state in
            state.table.closeAll()
            state.transportResetPending = true
        }
    }

    /// Puts a pending transport reset event into the next event buffer. A buffer
    /// too small for the event is returned empty and the next one tried.
    func sendTransportReset(queue: inout Virtqueue, memory: GuestMemory) throws(VirtioError) {
        while state.withLock({ $0.transportResetPending }), let chain = try queue.pop() {
            guard chain.writableLength >= UInt64(Self.eventSize) else {
                withTable { $0.log.report("event buffer of \(chain.writableLength) bytes cannot hold an event; returned empty") }
                try queue.addUsed(head: chain.head, length: 0)
                continue
            }
            let id = Self.eventTransportReset
            let bytes = (0..<Self.eventSize).map { UInt8(truncatingIfNeeded: id >> (8 * UInt32($0))) }
            let written = try chain.writable.scatter(bytes[...], into: memory)
            try queue.addUsed(head: chain.head, length: UInt32(written))
            state.withLock { $0.transportResetPending = false }
        }
    }
}
