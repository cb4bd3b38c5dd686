import Memory
import Synchronization

/// virtio-vsock (device ID 19): stream sockets between the guest and the host
/// (CID 2), in Firecracker's model, where each connection's host end is a
/// `VsockHostStream` opened by a `VsockBackend` (in the VMM: a Unix socket).
///
/// Queues: 0 receive (packets to the guest), 1 transmit (packets from the
/// guest), 2 event (buffers are kept until a transport reset event, sent after a
/// snapshot is restored). The configuration space holds guest_cid (64-bit little-endian). No
/// feature bits: stream sockets only.
///
/// The host side (`hostReady`, `connect(toGuestPort:...)`, `tick`) is called by
/// the VMM's I/O thread; the device then serves the receive queue through the
/// transport's wake-up, never while holding its own lock.
public final class VirtioVsock: VirtioDevice {
    public static let receiveQueue = 0
    public static let transmitQueue = 1
    public static let eventQueue = 2

    public let deviceID: UInt32 = 19
    public let features: UInt64 = 0
    public let queueCount = 3
    public let maxQueueSize: UInt16 = 128
    public let guestCID: UInt64
    /// Opens host streams for guest-initiated connections.
    public let backend: any VsockBackend

    let state: Mutex<State>

    struct State {
        var table: VsockConnections
        var wakeUp: (@Sendable (Int) -> Void)?
        /// A VIRTIO_VSOCK_EVENT_TRANSPORT_RESET waits for an event buffer.
        var transportResetPending = false
    }

    /// A device for guest CID `guestCID` (3 or more); guest protocol errors go to
    /// `log`, one line each, at most `HostileEventLog.limit` lines. At most
    /// `maxConnections` connections are open at once; more are refused (RST).
    public init(guestCID: UInt64, backend: any VsockBackend, maxConnections: Int = 128,
                log: @escaping @Sendable (String) -> Void) {
        self.guestCID = guestCID
        self.backend = backend
        let events = HostileEventLog(prefix: "virtio-vsock", sink: log)
        state = Mutex(State(table: VsockConnections(guestCID: guestCID, log: events,
                                                    maxConnections: maxConnections)))
    }

    public func readConfig(at offset: Int) -> UInt8 {
        guard (0..<8).contains(offset) else { return 0 }
        return UInt8(truncatingIfNeeded: guestCID >> (8 * UInt64(offset)))
    }

    public func activate(features: UInt64) {
        state.withLock { $0.table.active = true }
    }

    /// The driver reset the device: every connection is closed.
    public func reset() {
        state.withLock { state in
            state.table.closeAll()
            state.table.active = false
            state.transportResetPending = false
        }
    }

    public func setWakeUp(_ wakeUp: @escaping @Sendable (Int) -> Void) {
        state.withLock { $0.wakeUp = wakeUp }
    }

    public func process(queue: inout Virtqueue, index: Int, memory: GuestMemory) throws(VirtioError) -> Bool {
        switch index {
        case Self.receiveQueue: try deliver(queue: &queue, memory: memory)
        case Self.transmitQueue: try transmit(queue: &queue, memory: memory)
        case Self.eventQueue: try sendTransportReset(queue: &queue, memory: memory)
        default: return false
        }
        return try queue.needsInterrupt()
    }

    /// Serving the transmit queue may leave replies for the receive queue; a
    /// transport reset still owed goes out on the event queue as soon as any queue
    /// is served.
    public func followUpQueues(after index: Int) -> [Int] {
        let (packets, resetPending) = state.withLock { ($0.table.hasPendingPackets, $0.transportResetPending) }
        if resetPending, index != Self.eventQueue {
            return index == Self.transmitQueue && packets ? [Self.receiveQueue, Self.eventQueue] : [Self.eventQueue]
        }
        guard index == Self.transmitQueue else { return [] }
        return packets ? [Self.receiveQueue] : []
    }

    // MARK: the host side

    /// The host stream `token` may have become readable or writable.
    public func hostReady(token: UInt64) {
        update { $0.hostReady(token: token) }
    }

    /// A host client asks for guest port `port` over `stream`. Returns the host
    /// port the connection uses, or nil when the driver is not ready or too many
    /// connections are open (the caller then closes `stream`). `greeting` makes
    /// the bytes the stream receives first, once the guest accepts.
    public func connect(toGuestPort port: UInt32, stream: any VsockHostStream,
                        greeting: (UInt32) -> [UInt8]) -> UInt32? {
        update { $0.connect(toGuestPort: port, stream: stream, greeting: greeting) }
    }

    /// Advances the device's clock by one tick (the VMM ticks every second while
    /// `needsTicks`): connections waiting too long are reset.
    public func tick() {
        update { $0.tick() }
    }

    /// Whether a connection waits on a deadline.
    public var needsTicks: Bool { state.withLock { $0.table.hasDeadlines } }

    /// Open connections.
    public var connectionCount: Int { state.withLock { $0.table.connections.count } }

    /// Closes every host stream (the VM is stopping).
    public func closeAll() {
        state.withLock { $0.table.closeAll() }
    }

    /// Runs `body` on the table under the device's lock.
    func withTable<T>(_ body: (inout VsockConnections) -> T) -> T {
        state.withLock { body(&$0.table) }
    }

    /// Runs `body` on the table, then wakes the receive queue if packets wait.
    private func update<T>(_ body: (inout VsockConnections) -> T) -> T {
        let (result, wakeUp) = state.withLock { state in
            let result = body(&state.table)
            return (result, state.table.hasPendingPackets ? state.wakeUp : nil)
        }
        wakeUp?(Self.receiveQueue)
        return result
    }
}
