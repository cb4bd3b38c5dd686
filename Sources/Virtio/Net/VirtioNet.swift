import Memory
import Synchronization

/// virtio-net (device ID 1) with one receive queue (0) and one transmit queue
/// (1): no control queue, no multiqueue, no offloads, no MRG_RXBUF.
///
/// Frames come from and go to a `NetBackend`. Receive: when queue 0 is notified
/// or the back end has input (`inputArrived()`), frames are read and delivered
/// while the driver has buffers; a frame read when there are none stays pending
/// (it is never dropped for lack of buffers) and nothing more is read until the
/// driver adds some. Transmit: each chain is the 12-byte header and one frame;
/// chains shorter than the header or longer than `maxTransmitChain` are dropped
/// and logged. Both directions copy through buffers allocated once, here.
public final class VirtioNet: VirtioDevice {
    public static let receiveQueue = 0
    public static let transmitQueue = 1
    public static let queueSize: UInt16 = 256

    /// VIRTIO_NET_F_MAC: the configuration space holds the MAC address.
    public static let featureMAC: UInt64 = 1 << 5
    /// VIRTIO_NET_F_STATUS: the configuration space holds the link status.
    public static let featureStatus: UInt64 = 1 << 16
    /// VIRTIO_NET_S_LINK_UP in the status field.
    public static let statusLinkUp: UInt16 = 1

    /// Largest transmit chain accepted (header included), in bytes.
    public static let maxTransmitChain = 65550
    /// Largest frame accepted in either direction (without the header).
    public static let maxFrameSize = maxTransmitChain - NetHeader.size
    /// Bytes of the configuration space: mac[6], status.
    static let configSize = 8

    public let deviceID: UInt32 = 1
    public let features: UInt64 = featureMAC | featureStatus
    public let queueCount = 2
    public let maxQueueSize = VirtioNet.queueSize

    /// The back end frames come from and go to.
    public let backend: any NetBackend
    /// The MAC address the driver reads (6 bytes).
    public let mac: [UInt8]
    private let config: [UInt8]
    /// The received frame's header, then the frame; one byte more than
    /// `maxFrameSize` so that an over-long frame can be told apart.
    let receiveBuffer = FrameBuffer(capacity: NetHeader.size + maxFrameSize + 1)
    /// A transmit chain gathered: header and frame.
    let transmitBuffer = FrameBuffer(capacity: maxTransmitChain)
    let state: Mutex<NetState>

    /// A device with MAC address `mac` (6 bytes; shorter is padded with zeroes)
    /// over `backend`.
    public init(backend: any NetBackend, mac: [UInt8]) {
        self.backend = backend
        self.mac = Array((mac + [UInt8](repeating: 0, count: 6)).prefix(6))
        var config = self.mac
        config += [UInt8(truncatingIfNeeded: Self.statusLinkUp), UInt8(truncatingIfNeeded: Self.statusLinkUp >> 8)]
        self.config = config
        state = Mutex(NetState())
        NetHeader.writeReceived(into: receiveBuffer.bytes)
    }

    /// What the device has moved and dropped so far.
    public var statistics: NetStatistics { state.withLock { $0.statistics } }

    /// The back end has new input: has the transport serve the receive queue
    /// (it does nothing until the driver set DRIVER_OK). Call it from the thread
    /// that watches the back end, never from inside the device's own calls.
    public func inputArrived() {
        let wakeUp = state.withLock { $0.wakeUp }
        wakeUp?(Self.receiveQueue)
    }

    public func readConfig(at offset: Int) -> UInt8 {
        config.indices.contains(offset) ? config[offset] : 0
    }

    public func activate(features: UInt64) {}

    /// A frame read before the reset, or a buffer of the old queue, is forgotten.
    public func reset() {
        state.withLock { state in
            state.pendingLength = nil
            state.heldChain = nil
        }
    }

    public func setWakeUp(_ wakeUp: @escaping @Sendable (Int) -> Void) {
        state.withLock { $0.wakeUp = wakeUp }
    }

    public func setLog(_ log: @escaping @Sendable (String) -> Void) {
        state.withLock { $0.log = HostileEventLog(prefix: "virtio-net", sink: log) }
    }

    public func process(queue: inout Virtqueue, index: Int, memory: GuestMemory) throws(VirtioError) -> Bool {
        switch index {
        case Self.receiveQueue: try receive(queue: &queue, memory: memory)
        case Self.transmitQueue: try transmit(queue: &queue, memory: memory)
        default: return false
        }
        return try queue.needsInterrupt()
    }
}
