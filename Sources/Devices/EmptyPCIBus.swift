import Synchronization

/// PCI configuration mechanism #1 (ports 0xCF8-0xCFF) with no device behind it.
///
/// CONFIG_ADDRESS at 0xCF8 latches a 32-bit write and reads it back, so Linux's
/// probe (`pci_check_type1` in arch/x86/pci/direct.c: write 0x80000000, read it
/// back) finds a type-1 mechanism, and every configuration read then finds no
/// device: the data window 0xCFC-0xCFF reads as all ones for the access width and
/// ignores writes. As on hardware, only a 32-bit access at 0xCF8 reaches
/// CONFIG_ADDRESS; a byte or word access there is not decoded, so it reads as all
/// ones and writes are dropped (Linux's `outb(0x01, 0xCFB)` before the probe
/// changes nothing). The reserved bits 30-24 and 1-0 read as 0, as the PCI Local
/// Bus Specification requires.
public struct EmptyPCIBus {
    public static let basePort: UInt16 = 0xCF8
    public static let portCount: UInt64 = 8
    /// The bits of CONFIG_ADDRESS that hold: enable, bus, device, function, register.
    public static let addressMask: UInt32 = 0x80FF_FFFC

    /// The latched CONFIG_ADDRESS.
    public private(set) var configAddress: UInt32 = 0

    public init() {}

    /// A read of `width` bytes at `offset` (0-7) from 0xCF8, zero-extended.
    public func read(offset: UInt64, width: Int) -> UInt64 {
        if offset == 0 && width == 4 { return UInt64(configAddress) }
        return width >= 8 ? UInt64.max : (1 << (8 * UInt64(width))) - 1
    }

    /// A write of `width` bytes at `offset` (0-7) from 0xCF8.
    public mutating func write(offset: UInt64, width: Int, value: UInt64) {
        guard offset == 0 && width == 4 else { return }
        configAddress = UInt32(truncatingIfNeeded: value) & Self.addressMask
    }
}

/// An `EmptyPCIBus` on a bus: register it at `EmptyPCIBus.basePort` (0xCF8) with
/// size `EmptyPCIBus.portCount` (8).
public final class EmptyPCIBusPort: BusDevice {
    private let state = Mutex(EmptyPCIBus())

    public init() {}

    /// The latched CONFIG_ADDRESS.
    public var configAddress: UInt32 { state.withLock { $0.configAddress } }

    public func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
        let value = state.withLock { $0.read(offset: offset, width: data.count) }
        data.storeLittleEndian(value)
    }

    public func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction {
        let value = UnsafeRawBufferPointer(data).littleEndianValue
        state.withLock { $0.write(offset: offset, width: data.count, value: value) }
        return .none
    }
}
