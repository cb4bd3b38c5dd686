import Devices
import KVM
import Memory
import Synchronization

/// A register window for experiments (`vmm lab`): a device that only counts what
/// the guest does to it, delivered to the VMM in one of the ways KVM offers, so
/// that the same guest writes can be compared trapped, coalesced and through an
/// ioeventfd. Reads return `readValue` (a call into the VMM that answers).
public struct ProbeWindow: Sendable, Equatable {
    public enum Space: String, Sendable, Equatable {
        case port, mmio
    }

    /// How guest writes reach the VMM.
    public enum Delivery: String, Sendable, Equatable, CaseIterable {
        /// Every access exits to user space (KVM_EXIT_IO / KVM_EXIT_MMIO).
        case trapped
        /// Writes are queued in KVM's coalesced ring and replayed at the next exit.
        case coalesced
        /// Writes of `ioeventfdLength` bytes signal an eventfd inside KVM; no exit to
        /// user space, and the data is discarded. Other accesses are trapped.
        case ioeventfd
    }

    public var name: String
    public var space: Space
    public var base: UInt64
    public var size: UInt64
    public var delivery: Delivery
    /// What every read returns.
    public var readValue: UInt64
    /// The write size the ioeventfd matches (1, 2, 4 or 8).
    public var ioeventfdLength: UInt32

    public init(name: String, space: Space, base: UInt64, size: UInt64, delivery: Delivery = .trapped,
                readValue: UInt64 = 0, ioeventfdLength: UInt32 = 4) {
        self.name = name
        self.space = space
        self.base = base
        self.size = size
        self.delivery = delivery
        self.readValue = readValue
        self.ioeventfdLength = ioeventfdLength
    }

    /// Checks what needs neither KVM nor guest memory.
    public func validate() throws(VMMError) {
        let option = "probe window \(name)"
        guard size > 0, base &+ size > base else {
            throw .invalidConfiguration(option: option, reason: "empty or wrapping range at 0x\(String(base, radix: 16))")
        }
        if space == .port, base + size > 0x10000 {
            throw .invalidConfiguration(option: option, reason: "ports end at 0xffff")
        }
        if delivery == .ioeventfd, ![1, 2, 4, 8].contains(ioeventfdLength) {
            throw .invalidConfiguration(option: option, reason: "ioeventfd length \(ioeventfdLength) is not 1, 2, 4 or 8")
        }
        if delivery == .coalesced, size > UInt64(UInt32.max) {
            throw .invalidConfiguration(option: option, reason: "a coalesced zone is at most 4 GiB")
        }
    }
}

/// What a probe window saw, read with `VirtualMachine.probeCounts()`.
public struct ProbeCounts: Sendable, Equatable, Codable {
    public var name: String
    /// Writes that reached the device: trapped ones and coalesced ones replayed.
    public var writes: UInt64
    public var reads: UInt64
    /// Signals of the window's ioeventfd (each one a guest write KVM handled alone).
    public var eventSignals: UInt64
    /// The last value written through the bus (little-endian, up to 8 bytes).
    public var lastValue: UInt64
}

/// The device behind a probe window: counters only.
final class ProbeDevice: BusDevice, @unchecked Sendable {
    let window: ProbeWindow
    let event: EventFD?
    private let writes = Atomic<UInt64>(0)
    private let reads = Atomic<UInt64>(0)
    private let lastValue = Atomic<UInt64>(0)
    private let signals = Atomic<UInt64>(0)

    init(window: ProbeWindow, event: EventFD?) {
        self.window = window
        self.event = event
    }

    func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
        reads.wrappingAdd(1, ordering: .relaxed)
        data.storeLittleEndian(window.readValue)
    }

    func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction {
        writes.wrappingAdd(1, ordering: .relaxed)
        lastValue.store(data.littleEndianValue, ordering: .relaxed)
        return .none
    }

    /// The counts so far (draining the eventfd into the running total).
    func counts() -> ProbeCounts {
        if let event { signals.wrappingAdd(event.drain(), ordering: .relaxed) }
        return ProbeCounts(name: window.name, writes: writes.load(ordering: .relaxed),
                           reads: reads.load(ordering: .relaxed), eventSignals: signals.load(ordering: .relaxed),
                           lastValue: lastValue.load(ordering: .relaxed))
    }
}

extension MachineBuilder {
    /// Puts each probe window's device on its bus, registers its ioeventfd; returns
    /// the devices and the coalesced zones to register once the ring exists.
    static func attachProbes(_ windows: [ProbeWindow], vm: VMFD, memory: GuestMemory, ports: inout IOBusBuilder,
                             mmio: inout IOBusBuilder) throws(VMMError)
        -> (devices: [ProbeDevice], coalesced: [CoalescedZone])
    {
        var devices: [ProbeDevice] = []
        var zones: [CoalescedZone] = []
        for window in windows {
            try window.validate()
            let space: IOSpace = window.space == .port ? .port : .mmio
            if window.space == .mmio,
               memory.regions.contains(where: { $0.range.overlaps(GuestRange(start: GuestAddress(window.base),
                                                                             size: window.size)) }) {
                throw .invalidConfiguration(option: "probe window \(window.name)",
                                            reason: "0x\(String(window.base, radix: 16)) overlaps guest RAM")
            }
            var event: EventFD? = nil
            if window.delivery == .ioeventfd {
                do {
                    let created = try EventFD()
                    try vm.registerIOEventFD(created, space: space, address: window.base,
                                             length: window.ioeventfdLength)
                    event = created
                } catch { throw .kvm(error) }
            }
            let device = ProbeDevice(window: window, event: event)
            if window.space == .port {
                try ports.insert(device, name: window.name, base: window.base, size: window.size)
            } else {
                try mmio.insert(device, name: window.name, base: window.base, size: window.size)
            }
            if window.delivery == .coalesced {
                zones.append(CoalescedZone(space: space, address: window.base, size: UInt32(window.size)))
            }
            devices.append(device)
        }
        return (devices, zones)
    }
}
