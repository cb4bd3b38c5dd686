import Devices

/// A set of devices by address range, for port I/O or MMIO.
///
/// Built with `IOBusBuilder` while the machine is assembled, then frozen: after
/// boot the bus is an immutable sorted array searched without locks.
public struct IOBus: Sendable {
    public struct Entry: Sendable {
        public let base: UInt64
        public let size: UInt64
        public let name: String
        public let device: any BusDevice
    }

    public let entries: [Entry]

    /// The device covering `address`, and the offset of `address` within it.
    @inline(__always)
    public func find(_ address: UInt64) -> (device: any BusDevice, offset: UInt64)? {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) >> 1
            let entry = entries[mid]
            if address < entry.base {
                high = mid
            } else if address - entry.base >= entry.size {
                low = mid + 1
            } else {
                return (entry.device, address - entry.base)
            }
        }
        return nil
    }
}

/// Collects devices for an `IOBus`, rejecting overlapping ranges.
public struct IOBusBuilder {
    private var entries: [IOBus.Entry] = []

    public init() {}

    public mutating func insert(_ device: any BusDevice, name: String, base: UInt64, size: UInt64) throws(VMMError) {
        let range = "[0x\(String(base, radix: 16)), +0x\(String(size, radix: 16)))"
        guard size > 0, base &+ size > base || base &+ size == 0 else {
            throw .invalidConfiguration(option: "device \(name)", reason: "empty or wrapping range \(range)")
        }
        for entry in entries where base < entry.base &+ entry.size && entry.base < base &+ size {
            throw .busConflict(name: name, range: range, existing: entry.name)
        }
        entries.append(IOBus.Entry(base: base, size: size, name: name, device: device))
    }

    /// The finished, immutable bus.
    public func freeze() -> IOBus {
        IOBus(entries: entries.sorted { $0.base < $1.base })
    }
}
