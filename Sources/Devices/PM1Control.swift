import Synchronization

/// The ACPI PM1 control register (ACPI 6.5, section 4.8.3.2.1), 16 bits.
///
/// SCI_EN (bit 0) reads as 1 and cannot be cleared: there is no SMI command port,
/// so the machine is always in ACPI mode. BM_RLD (bit 1) is stored; GBL_RLS (bit 2)
/// and SLP_EN (bit 13) are write-only and read as 0. Writing SLP_EN with SLP_TYP
/// (bits 10-12) equal to the `_S5` value powers the machine off; SLP_EN with any
/// other type is ignored (the DSDT declares no other sleep state).
public struct PM1Control: Sendable, Equatable {
    public static let sciEnable: UInt16 = 1 << 0
    public static let busMasterReload: UInt16 = 1 << 1
    public static let sleepTypeShift: UInt16 = 10
    public static let sleepTypeMask: UInt16 = 0x7 << 10
    public static let sleepEnable: UInt16 = 1 << 13
    public static let registerCount: UInt64 = 2

    /// The SLP_TYP that means S5, soft off.
    public let softOffType: UInt8
    /// BM_RLD and SLP_TYP as last written.
    public private(set) var stored: UInt16 = 0

    public init(softOffType: UInt8) {
        self.softOffType = softOffType
    }

    /// The register as a snapshot holds it; only BM_RLD and SLP_TYP are kept.
    public init(softOffType: UInt8, value: UInt16) {
        self.softOffType = softOffType
        stored = value & (Self.busMasterReload | Self.sleepTypeMask)
    }

    public var value: UInt16 { stored | Self.sciEnable }

    public func read(offset: UInt64, width: Int) -> UInt64 {
        guard offset < 2 else { return 0 }
        return registerBytes(UInt64(value), offset: offset, width: width)
    }

    /// Writes `width` bytes at `offset`; `.shutdown` when the write sets SLP_EN with
    /// the S5 sleep type.
    public mutating func write(offset: UInt64, width: Int, value: UInt64) -> BusAction {
        var register = self.value
        for i in 0..<min(width, 8) {
            let byte = UInt16(truncatingIfNeeded: value >> (8 * UInt64(i)))
            switch offset + UInt64(i) {
            case 0: register = register & 0xFF00 | byte
            case 1: register = register & 0x00FF | byte << 8
            default: break
            }
        }
        stored = register & (Self.busMasterReload | Self.sleepTypeMask)
        let type = UInt8((register & Self.sleepTypeMask) >> Self.sleepTypeShift)
        if register & Self.sleepEnable != 0 && type == softOffType { return .shutdown }
        return .none
    }
}

/// A `PM1Control` on a bus (the FADT's PM1a_CNT_BLK, 2 ports).
public final class PM1ControlPort: BusDevice {
    private let state: Mutex<PM1Control>

    public init(softOffType: UInt8) {
        state = Mutex(PM1Control(softOffType: softOffType))
    }

    public var registers: PM1Control {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    public func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
        let value = state.withLock { $0.read(offset: offset, width: data.count) }
        data.storeLittleEndian(value)
    }

    public func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction {
        let value = data.littleEndianValue
        return state.withLock { $0.write(offset: offset, width: data.count, value: value) }
    }
}
