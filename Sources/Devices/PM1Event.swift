import Synchronization

/// The ACPI PM1 event block (ACPI 6.5, section 4.8.3.1): PM1 status at offset 0 and
/// PM1 enable at offset 2, 16 bits each.
///
/// Status bits are set by events and cleared by writing 1 to them; a status bit
/// whose enable bit is set raises the SCI. The only event this machine produces is
/// the power button (`pressPowerButton()`); WAK_STS is set when the guest enters a
/// sleep state, as hardware does. The timer carry (TMR_STS) is not modelled.
public struct PM1Event: Sendable, Equatable {
    /// Status and enable bit positions.
    public enum Bit {
        public static let timer: UInt16 = 1 << 0
        public static let globalLock: UInt16 = 1 << 5
        public static let powerButton: UInt16 = 1 << 8
        public static let sleepButton: UInt16 = 1 << 9
        public static let rtc: UInt16 = 1 << 10
        public static let wake: UInt16 = 1 << 15
    }

    /// The enable bits that exist (bits 0, 5, 8, 9, 10).
    public static let enableMask: UInt16 = Bit.timer | Bit.globalLock | Bit.powerButton | Bit.sleepButton | Bit.rtc
    public static let registerCount: UInt64 = 4

    public private(set) var status: UInt16 = 0
    public private(set) var enable: UInt16 = 0

    public init() {}

    /// Registers as a snapshot holds them; bits that do not exist are dropped.
    public init(status: UInt16, enable: UInt16) {
        self.status = status
        self.enable = enable & Self.enableMask
    }

    /// True when an enabled event is pending: the SCI is asserted.
    public var sciPending: Bool { status & enable != 0 }

    /// Reads `width` bytes at `offset` (0-3).
    public func read(offset: UInt64, width: Int) -> UInt64 {
        let register = UInt64(status) | UInt64(enable) << 16
        guard offset < 4 else { return 0 }
        return registerBytes(register, offset: offset, width: width)
    }

    /// Writes `width` bytes at `offset`: 1s clear status bits, the enable half is
    /// stored (bits that do not exist read as 0). Returns true when the write makes
    /// an enabled event pending (enabling a pending status raises the SCI).
    public mutating func write(offset: UInt64, width: Int, value: UInt64) -> Bool {
        let wasPending = sciPending
        for i in 0..<min(width, 8) {
            let position = offset + UInt64(i)
            let byte = UInt16(truncatingIfNeeded: value >> (8 * UInt64(i)))
            switch position {
            case 0: status &= ~byte
            case 1: status &= ~(byte << 8)
            case 2: enable = (enable & 0xFF00 | byte) & Self.enableMask
            case 3: enable = (enable & 0x00FF | byte << 8) & Self.enableMask
            default: break
            }
        }
        return !wasPending && sciPending
    }

    /// The power button was pressed: PWRBTN_STS is set. Returns true when the SCI
    /// must be raised (the event is enabled).
    public mutating func pressPowerButton() -> Bool {
        status |= Bit.powerButton
        return enable & Bit.powerButton != 0
    }

    /// The machine woke from (or, here, entered) a sleep state: WAK_STS.
    public mutating func setWake() {
        status |= Bit.wake
    }
}

/// A `PM1Event` on a bus (the FADT's PM1a_EVT_BLK, 4 ports), raising `sci` when an
/// enabled event becomes pending.
public final class PM1EventPort: BusDevice {
    private let state = Mutex(PM1Event())
    private let sci: any InterruptLine

    public init(sci: any InterruptLine) {
        self.sci = sci
    }

    public var registers: PM1Event {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    public func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
        let value = state.withLock { $0.read(offset: offset, width: data.count) }
        data.storeLittleEndian(value)
    }

    public func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction {
        let value = data.littleEndianValue
        if state.withLock({ $0.write(offset: offset, width: data.count, value: value) }) { sci.trigger() }
        return .none
    }

    /// Presses the power button (an ACPI-aware guest then shuts down).
    public func pressPowerButton() {
        if state.withLock({ $0.pressPowerButton() }) { sci.trigger() }
    }
}
