import Memory
import Snapshot

/// A virtio device back end, independent of the transport.
///
/// A device never sees MMIO: the transport negotiates features, owns the queues
/// and calls `process(queue:index:memory:)` when the driver notifies a queue. The
/// transport serialises every call into a device under its own lock, so methods
/// here are never called concurrently with each other (but `Sendable` devices may
/// be touched from other threads by their owners, e.g. console input).
public protocol VirtioDevice: AnyObject, Sendable {
    /// The virtio device ID (1 network, 2 block, 3 console, 4 entropy, 19 vsock).
    var deviceID: UInt32 { get }
    /// The device-specific feature bits offered (bits 0-23 and 50-63; others are dropped).
    var features: UInt64 { get }
    /// How many virtqueues the device has.
    var queueCount: Int { get }
    /// QueueNumMax for every queue (a power of two, at most 32768).
    var maxQueueSize: UInt16 { get }
    /// Bumped whenever the device changes its configuration space.
    var configGeneration: UInt32 { get }

    /// Takes a snapshot's ConfigGeneration, on a freshly built device after
    /// `restoreDeviceState` succeeded. Returns false when the device cannot have
    /// reached it: a device whose configuration never changes accepts only its
    /// own (the default).
    func restoreConfigGeneration(_ generation: UInt32) -> Bool

    /// Byte `offset` of the configuration space (0 beyond its end).
    func readConfig(at offset: Int) -> UInt8
    /// A driver write to byte `offset` of the configuration space.
    func writeConfig(at offset: Int, value: UInt8)

    /// The driver set DRIVER_OK having accepted `features` (transport bits included).
    func activate(features: UInt64)
    /// The driver reset the device (status 0), or the transport reset it.
    func reset()

    /// Serves queue `index`: pops chains, does the work, adds used entries.
    /// Returns whether the driver should be interrupted (ask `queue.needsInterrupt()`).
    /// Throws only when the ring itself is broken; the transport then sets NEEDS_RESET.
    func process(queue: inout Virtqueue, index: Int, memory: GuestMemory) throws(VirtioError) -> Bool

    /// Queues to serve right after `process` served queue `index`, under the same
    /// lock (e.g. the receive queue, when the transmit queue produced replies).
    func followUpQueues(after index: Int) -> [Int]

    /// Gives the device a way to have queue `index` processed without a driver
    /// notification (e.g. host input arrived). Called once by the transport.
    func setWakeUp(_ wakeUp: @escaping @Sendable (_ queue: Int) -> Void)

    /// Gives the device the transport's log sink for its own guest-error lines
    /// (e.g. a malformed frame); the device rate-limits them. Called once.
    func setLog(_ log: @escaping @Sendable (String) -> Void)

    /// Writes the device's own state for a snapshot: what is not in guest memory
    /// nor in the transport's registers and queues. Called under the transport's
    /// lock while the VM is paused.
    func saveDeviceState(into writer: inout StateWriter)

    /// Reads what `saveDeviceState` wrote, on a freshly built device before the
    /// guest runs, checking every field against this device (a disk of another
    /// size, another MAC address: `SnapshotError.mismatch`). The transport checks
    /// that every byte was read.
    func restoreDeviceState(from reader: inout StateReader) throws(SnapshotError)

    /// How many chains the device has taken from queue `index` and holds without
    /// having used them (always the last ones taken). A snapshot gives them back
    /// to the ring (next avail is saved that much earlier), so the restored
    /// device takes them again instead of the driver losing them.
    func chainsHeld(inQueue index: Int) -> UInt16
}

extension VirtioDevice {
    public var configGeneration: UInt32 { 0 }
    public func restoreConfigGeneration(_ generation: UInt32) -> Bool { generation == configGeneration }
    public func writeConfig(at offset: Int, value: UInt8) {}
    public func setWakeUp(_ wakeUp: @escaping @Sendable (_ queue: Int) -> Void) {}
    public func setLog(_ log: @escaping @Sendable (String) -> Void) {}
    public func followUpQueues(after index: Int) -> [Int] { [] }
    /// No state of its own.
    public func saveDeviceState(into writer: inout StateWriter) {}
    /// No state of its own: reads nothing.
    public func restoreDeviceState(from reader: inout StateReader) throws(SnapshotError) {}
    public func chainsHeld(inQueue index: Int) -> UInt16 { 0 }
}
