import Devices
import Memory
import Synchronization

/// A virtio device on an MMIO bus: a `VirtioMMIOTransport` behind a mutex.
///
/// vCPU threads reach it through `read`/`write`; the VMM's I/O thread calls
/// `processQueue(_:)` when a queue's ioeventfd fires. Both take the same lock, so
/// a device back end never runs twice at once. The window is 4 KiB; QueueNotify
/// sits at `notifyOffset` for the VMM to attach ioeventfds to.
public final class VirtioMMIODevice: BusDevice {
    /// Bytes of MMIO space the device occupies.
    public static let windowSize: UInt64 = 0x1000
    /// Offset of QueueNotify inside the window.
    public static let notifyOffset: UInt64 = VirtioMMIORegister.queueNotify

    let transport: Mutex<VirtioMMIOTransport>
    private let hooks = Mutex<Hooks>(Hooks())
    /// How many queues the device has (one ioeventfd each).
    public let queueCount: Int
    /// The device's section in a snapshot's state file (`StateSaving`); unique in
    /// the machine. The VMM names it after the device's slot, e.g. "virtio.0".
    public let stateSectionName: String

    private struct Hooks {
        var onActivate: (@Sendable () -> Void)?
        var onReset: (@Sendable () -> Void)?
        var queueKick: (@Sendable (Int) -> Void)?
    }

    /// Wraps `device`, whose queues live in `memory`; interrupts go to `interrupt`
    /// and driver errors to `log` (rate-limited). `stateSectionName` names its
    /// snapshot section (default: the device's name, e.g. "virtio-blk", unique
    /// only while the machine has one device of each type).
    public init(
        device: any VirtioDevice, memory: GuestMemory, interrupt: any InterruptLine,
        log: @escaping @Sendable (String) -> Void, stateSectionName: String? = nil
    ) {
        transport = Mutex(VirtioMMIOTransport(device: device, memory: memory, interrupt: interrupt, log: log))
        queueCount = device.queueCount
        self.stateSectionName = stateSectionName ?? VirtioMMIOTransport.name(ofDevice: device.deviceID)
        device.setWakeUp { [weak self] queue in self?.processQueue(queue) }
        device.setLog(log)
    }

    /// Called (outside the lock) when the driver sets DRIVER_OK.
    public var onActivate: (@Sendable () -> Void)? {
        get { hooks.withLock { $0.onActivate } }
        set { hooks.withLock { $0.onActivate = newValue } }
    }

    /// How to have queue N served by another thread. At DRIVER_OK every ready queue
    /// is served once (buffers may have been added before); with a kick set, the
    /// VMM signals each queue's ioeventfd instead, so the I/O thread does the
    /// device's work (disk, TAP, socket calls) and the vCPU thread that wrote the
    /// Status register stays within its seccomp list. nil: served on the caller's
    /// thread.
    public var queueKick: (@Sendable (Int) -> Void)? {
        get { hooks.withLock { $0.queueKick } }
        set { hooks.withLock { $0.queueKick = newValue } }
    }

    /// Called (outside the lock) when the driver resets the device.
    public var onReset: (@Sendable () -> Void)? {
        get { hooks.withLock { $0.onReset } }
        set { hooks.withLock { $0.onReset = newValue } }
    }

    /// The Status register, for diagnostics.
    public var status: UInt32 { transport.withLock { $0.status } }

    public func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
        let width = data.count
        let value = transport.withLock { $0.read(offset: offset, width: width) }
        data.storeLittleEndian(value)
    }

    public func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction {
        let value = data.littleEndianValue
        let width = data.count
        let event = transport.withLock { $0.write(offset: offset, value: value, width: width) }
        switch event {
        case .activated:
            let (onActivate, kick) = hooks.withLock { ($0.onActivate, $0.queueKick) }
            onActivate?()
            if let kick {
                for queue in 0..<queueCount { kick(queue) }
            } else {
                transport.withLock { $0.serveReadyQueues() }
            }
        case .reset: hooks.withLock { $0.onReset }?()
        case .none: break
        }
        return .none
    }

    /// Serves queue `index` (its ioeventfd fired). Does nothing unless the driver
    /// set DRIVER_OK and the queue is ready. Safe from any thread.
    public func processQueue(_ index: Int) {
        transport.withLock { $0.processQueue(index, fromRegister: false) }
    }

    /// Tells the driver the configuration space changed.
    public func configChanged() {
        transport.withLock { $0.configChanged() }
    }
}
