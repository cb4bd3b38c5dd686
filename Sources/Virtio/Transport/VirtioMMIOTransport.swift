import Devices
import Memory

/// The virtio-mmio register model (version 2) as a state machine: feature
/// negotiation, the status sequence, queue set-up, notifications and interrupts.
///
/// It knows nothing of its base address, of KVM or of threads: `read` and `write`
/// take an offset into the 4 KiB window and a width; `VirtioMMIODevice` puts it on
/// a bus behind a mutex. Every driver mistake is ignored and logged (rate-limited);
/// mistakes that leave the device unusable set NEEDS_RESET.
public struct VirtioMMIOTransport: Sendable {
    /// Our VendorID: "SVMM" in little-endian ASCII (QEMU uses "QEMU"; any value is allowed).
    public static let vendorID: UInt32 = 0x4D4D_5653

    let device: any VirtioDevice
    let memory: GuestMemory
    let interrupt: any InterruptLine
    var log: HostileEventLog

    /// The Status register.
    public internal(set) var status: UInt32 = 0
    /// The InterruptStatus register.
    public internal(set) var interruptStatus: UInt32 = 0
    /// Features the driver wrote (all 64 bits).
    public internal(set) var driverFeatures: UInt64 = 0
    /// The device's queues, in order.
    public internal(set) var queues: [Virtqueue]
    var deviceFeaturesSelect: UInt32 = 0
    var driverFeaturesSelect: UInt32 = 0
    var queueSelect: UInt32 = 0
    /// Queues whose size and rings have been checked since they became ready.
    var validated: [Bool]

    public init(
        device: any VirtioDevice, memory: GuestMemory, interrupt: any InterruptLine,
        log: @escaping @Sendable (String) -> Void
    ) {
        self.device = device
        self.memory = memory
        self.interrupt = interrupt
        self.log = HostileEventLog(prefix: Self.name(ofDevice: device.deviceID), sink: log)
        let size = device.maxQueueSize
        queues = (0..<device.queueCount).map { _ in Virtqueue(maxSize: size, memory: memory) }
        validated = Array(repeating: false, count: device.queueCount)
    }

    /// The features offered: the transport's plus the device's own bits.
    public var offeredFeatures: UInt64 {
        VirtioFeature.transport | (device.features & VirtioFeature.deviceSpecificMask)
    }

    /// Reads `width` bytes at `offset`. Registers below 0x100 answer only 32-bit reads.
    public mutating func read(offset: UInt64, width: Int) -> UInt64 {
        if offset >= VirtioMMIORegister.config {
            return readConfig(offset: offset - VirtioMMIORegister.config, width: width)
        }
        guard width == 4 else {
            log.report("\(width)-byte read of register 0x\(String(offset, radix: 16)) ignored (registers are 32-bit)")
            return 0
        }
        return UInt64(readRegister(offset))
    }

    private mutating func readRegister(_ offset: UInt64) -> UInt32 {
        typealias R = VirtioMMIORegister
        switch offset {
        case R.magicValue: return R.magic
        case R.version: return 2
        case R.deviceID: return device.deviceID
        case R.vendorID: return Self.vendorID
        case R.deviceFeatures:
            guard deviceFeaturesSelect < 2 else { return 0 }
            return UInt32(truncatingIfNeeded: offeredFeatures >> (32 * UInt64(deviceFeaturesSelect)))
        case R.queueNumMax: return selectedQueue.map { UInt32(queues[$0].maxSize) } ?? 0
        case R.queueReady: return selectedQueue.map { queues[$0].ready ? 1 : 0 } ?? 0
        case R.interruptStatus: return interruptStatus
        case R.status: return status
        case R.sharedMemoryLengthLow, R.sharedMemoryLengthHigh, R.sharedMemoryBaseLow, R.sharedMemoryBaseHigh:
            return UInt32.max  // no shared memory regions
        case R.configGeneration: return device.configGeneration
        default:
            log.report("read of write-only or unknown register 0x\(String(offset, radix: 16)) returns 0")
            return 0
        }
    }

    private func readConfig(offset: UInt64, width: Int) -> UInt64 {
        guard [1, 2, 4, 8].contains(width), offset < 0x1000 else { return 0 }
        var value: UInt64 = 0
        for i in 0..<width {
            value |= UInt64(device.readConfig(at: Int(offset) + i)) << (8 * UInt64(i))
        }
        return value
    }

    /// The queue QueueSel names, or nil if there is no such queue.
    var selectedQueue: Int? {
        Int(queueSelect) < queues.count ? Int(queueSelect) : nil
    }

    /// Sets `bit` in InterruptStatus and raises the interrupt line.
    mutating func raiseInterrupt(_ bit: UInt32) {
        interruptStatus |= bit
        interrupt.trigger()
    }

    /// The device needs a reset: say so in Status and tell a live driver.
    mutating func fail(_ message: String) {
        log.report(message + "; device needs reset")
        guard status & DeviceStatus.needsReset == 0 else { return }
        status |= DeviceStatus.needsReset
        if status & DeviceStatus.driverOK != 0 {
            raiseInterrupt(VirtioMMIORegister.interruptConfigChange)
        }
    }

    /// Tells the driver the configuration space changed.
    public mutating func configChanged() {
        guard status & DeviceStatus.driverOK != 0 else { return }
        raiseInterrupt(VirtioMMIORegister.interruptConfigChange)
    }

    static func name(ofDevice id: UInt32) -> String {
        switch id {
        case 1: return "virtio-net"
        case 2: return "virtio-blk"
        case 3: return "virtio-console"
        case 4: return "virtio-rng"
        case 19: return "virtio-vsock"
        default: return "virtio-\(id)"
        }
    }
}
