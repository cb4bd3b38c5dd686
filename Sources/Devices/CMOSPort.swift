import Synchronization

/// A `CMOS` on a bus: register it at `CMOS.indexPort` (0x70) with size
/// `CMOS.portCount` (2). Offset 0 is the index port, offset 1 the data port.
///
/// A wider access touches each port it covers in turn, so `outw 0x70` with the
/// register number in the low byte and the value in the high byte selects and
/// writes in one access. The index port is write-only and reads as 0xFF, as on
/// QEMU; bytes beyond offset 1 read as 0xFF.
public final class CMOSPort: BusDevice {
    let cmos: Mutex<CMOS>

    /// See `CMOS.init(memoryBelow4GiB:memoryAbove4GiB:cpuCount:clock:)`.
    public init(
        memoryBelow4GiB: UInt64, memoryAbove4GiB: UInt64, cpuCount: Int,
        clock: any WallClock = SystemWallClock()
    ) {
        cmos = Mutex(CMOS(
            memoryBelow4GiB: memoryBelow4GiB, memoryAbove4GiB: memoryAbove4GiB,
            cpuCount: cpuCount, clock: clock))
    }

    public func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
        cmos.withLock { cmos in
            for i in 0..<data.count {
                data[i] = offset &+ UInt64(i) == 1 ? cmos.readData() : 0xFF
            }
        }
    }

    public func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction {
        cmos.withLock { cmos in
            for (i, byte) in data.enumerated() {
                switch offset &+ UInt64(i) {
                case 0: cmos.writeIndex(byte)
                case 1: cmos.writeData(byte)
                default: break
                }
            }
        }
        return .none
    }

    /// Reads register `register` directly, for diagnostics and tests.
    public func register(_ register: UInt8) -> UInt8 {
        cmos.withLock { $0.read(register) }
    }
}
