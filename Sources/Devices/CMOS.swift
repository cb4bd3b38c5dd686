/// The PC's CMOS: a Motorola MC146818 real-time clock and its 128 bytes of
/// battery-backed RAM, as a register-level state machine.
///
/// The guest writes a register number to port 0x70 and reads or writes the
/// register at port 0x71. Bit 7 of the number written to 0x70 is the NMI-disable
/// bit of the PC, not part of the register number; it is kept (`nmiDisabled`) and
/// has no other effect.
///
/// The time registers are computed from a `WallClock` whenever they are read, in
/// the format status register B asks for (BCD or binary, 12- or 24-hour), so the
/// update-in-progress bit is never set and a read never sees a half-updated time.
/// A write to a time register is kept as an offset from the clock: the clock keeps
/// running from the written time. While the guest holds the SET bit of register B,
/// the time stands still and writes collect; clearing SET applies them at once, so
/// writing the fields one by one never passes through an impossible date. The day
/// of the week follows from the date, so a write to it is ignored.
///
/// The memory-size bytes are filled as QEMU fills them for SeaBIOS. No interrupts
/// are generated (no periodic, alarm or update-ended interrupt on IRQ 8), so
/// status register C always reads 0. The alarm registers are plain storage.
public struct CMOS {
    /// The index port; the data port follows it.
    public static let indexPort: UInt16 = 0x70
    public static let portCount: UInt64 = 2
    public static let size = 128

    /// Register numbers.
    public enum Register {
        public static let seconds: UInt8 = 0x00
        public static let secondsAlarm: UInt8 = 0x01
        public static let minutes: UInt8 = 0x02
        public static let minutesAlarm: UInt8 = 0x03
        public static let hours: UInt8 = 0x04
        public static let hoursAlarm: UInt8 = 0x05
        public static let dayOfWeek: UInt8 = 0x06
        public static let dayOfMonth: UInt8 = 0x07
        public static let month: UInt8 = 0x08
        public static let year: UInt8 = 0x09
        public static let statusA: UInt8 = 0x0A
        public static let statusB: UInt8 = 0x0B
        public static let statusC: UInt8 = 0x0C
        public static let statusD: UInt8 = 0x0D
        /// Base memory in KiB (low, high).
        public static let baseMemory: UInt8 = 0x15
        /// Memory from 1 MiB, in KiB (low, high), up to 0xFFFF.
        public static let extendedMemory: UInt8 = 0x17
        /// The same value again, where newer BIOSes look.
        public static let extendedMemoryCopy: UInt8 = 0x30
        public static let century: UInt8 = 0x32
        /// Memory from 16 MiB to 4 GiB, in 64 KiB units (low, high), up to 0xFFFF.
        public static let memoryAbove16MiB: UInt8 = 0x34
        /// Memory above 4 GiB, in 64 KiB units (three bytes, low first).
        public static let memoryAbove4GiB: UInt8 = 0x5B
        /// The number of CPUs minus one.
        public static let cpuCountMinusOne: UInt8 = 0x5F
    }

    /// Bits of status register B.
    public enum StatusB {
        /// Updates stop; the guest is setting the time.
        public static let set: UInt8 = 0x80
        public static let updateInterruptEnable: UInt8 = 0x10
        /// Binary rather than BCD.
        public static let binary: UInt8 = 0x04
        /// 24-hour rather than 12-hour (where bit 7 of the hour is PM).
        public static let hours24: UInt8 = 0x02
    }

    /// Status A: 32.768 kHz time base, 1024 Hz rate; the update-in-progress bit
    /// (bit 7) always reads 0.
    public static let defaultStatusA: UInt8 = 0x26
    /// Status B: 24-hour, BCD, no interrupts.
    public static let defaultStatusB: UInt8 = StatusB.hours24
    /// Status D: the RAM and time are valid (the battery is good).
    public static let statusDValid: UInt8 = 0x80

    private let clock: any WallClock
    var ram = [UInt8](repeating: 0, count: CMOS.size)
    var index: UInt8 = 0
    /// Seconds added to the clock to give the guest's time.
    var offset: Int64 = 0
    /// The time as it stood when the guest set the SET bit, with its writes applied.
    var heldTime: CalendarDate?

    /// The NMI-disable bit of the last index write.
    public internal(set) var nmiDisabled = false

    /// - Parameters:
    ///   - memoryBelow4GiB: bytes of RAM from address 0 up to the 32-bit hole.
    ///   - memoryAbove4GiB: bytes of RAM from 4 GiB up.
    ///   - cpuCount: the number of vCPUs.
    ///   - clock: the time of day the guest will read.
    public init(memoryBelow4GiB: UInt64, memoryAbove4GiB: UInt64, cpuCount: Int, clock: any WallClock) {
        self.clock = clock
        ram[Int(Register.statusA)] = Self.defaultStatusA
        ram[Int(Register.statusB)] = Self.defaultStatusB
        ram[Int(Register.statusD)] = Self.statusDValid
        fillMemorySize(below4GiB: memoryBelow4GiB, above4GiB: memoryAbove4GiB)
        ram[Int(Register.cpuCountMinusOne)] = UInt8(clamping: max(cpuCount, 1) - 1)
    }

    /// The register the next data access will reach (0-127).
    public var selectedRegister: UInt8 { index }

    /// A write to the index port (0x70).
    public mutating func writeIndex(_ value: UInt8) {
        index = value & 0x7F
        nmiDisabled = value & 0x80 != 0
    }

    /// A read of the data port (0x71).
    public func readData() -> UInt8 {
        read(index)
    }

    /// A write to the data port (0x71).
    public mutating func writeData(_ value: UInt8) {
        write(index, value)
    }

    /// Reads register `register` (0-127).
    public func read(_ register: UInt8) -> UInt8 {
        let register = register & 0x7F
        if let field = timeField(register) {
            return encode(field, of: heldTime ?? now())
        }
        switch register {
        case Register.statusA:
            return ram[Int(register)] & 0x7F
        case Register.statusC:
            return 0
        case Register.statusD:
            return Self.statusDValid
        default:
            return ram[Int(register)]
        }
    }

    /// Writes `value` to register `register` (0-127).
    public mutating func write(_ register: UInt8, _ value: UInt8) {
        let register = register & 0x7F
        if let field = timeField(register) {
            setTime(field, value)
            return
        }
        switch register {
        case Register.statusA:
            ram[Int(register)] = value & 0x7F
        case Register.statusB:
            setStatusB(value)
        case Register.statusC, Register.statusD:
            break  // Read-only.
        default:
            ram[Int(register)] = value
        }
    }

    // MARK: - Time

    private enum TimeField {
        case second, minute, hour, dayOfWeek, day, month, year, century
    }

    private func timeField(_ register: UInt8) -> TimeField? {
        switch register {
        case Register.seconds: .second
        case Register.minutes: .minute
        case Register.hours: .hour
        case Register.dayOfWeek: .dayOfWeek
        case Register.dayOfMonth: .day
        case Register.month: .month
        case Register.year: .year
        case Register.century: .century
        default: nil
        }
    }

    private func now() -> CalendarDate {
        CalendarDate(secondsSinceEpoch: clock.secondsSinceEpoch() &+ offset)
    }

    private var isBinary: Bool { ram[Int(Register.statusB)] & StatusB.binary != 0 }
    private var is24Hour: Bool { ram[Int(Register.statusB)] & StatusB.hours24 != 0 }

    private func encode(_ field: TimeField, of date: CalendarDate) -> UInt8 {
        switch field {
        case .second: return encodeNumber(date.second)
        case .minute: return encodeNumber(date.minute)
        case .hour:
            if is24Hour { return encodeNumber(date.hour) }
            let hour12 = date.hour % 12 == 0 ? 12 : date.hour % 12
            return encodeNumber(hour12) | (date.hour >= 12 ? 0x80 : 0)
        case .dayOfWeek: return encodeNumber(date.dayOfWeek + 1)  // 1 = Sunday
        case .day: return encodeNumber(date.day)
        case .month: return encodeNumber(date.month)
        case .year: return encodeNumber(modulo(date.year, 100))
        case .century: return encodeNumber(modulo(date.year / 100, 100))
        }
    }

    private mutating func setTime(_ field: TimeField, _ value: UInt8) {
        var date = heldTime ?? now()
        switch field {
        case .second: date.second = decodeNumber(value)
        case .minute: date.minute = decodeNumber(value)
        case .hour:
            if is24Hour {
                date.hour = decodeNumber(value)
            } else {
                date.hour = decodeNumber(value & 0x7F) % 12 + (value & 0x80 != 0 ? 12 : 0)
            }
        case .dayOfWeek: return  // Follows from the date.
        case .day: date.day = decodeNumber(value)
        case .month: date.month = decodeNumber(value)
        case .year: date.year = date.year - modulo(date.year, 100) + decodeNumber(value)
        case .century: date.year = decodeNumber(value) * 100 + modulo(date.year, 100)
        }
        if heldTime != nil {
            heldTime = date
        } else {
            offset = date.secondsSinceEpoch &- clock.secondsSinceEpoch()
        }
    }

    private mutating func setStatusB(_ value: UInt8) {
        let wasSet = ram[Int(Register.statusB)] & StatusB.set != 0
        let isSet = value & StatusB.set != 0
        // Setting SET also clears the update-ended interrupt enable (MC146818 data sheet).
        ram[Int(Register.statusB)] = isSet ? value & ~StatusB.updateInterruptEnable : value
        if isSet && !wasSet {
            heldTime = now()
        } else if !isSet, let held = heldTime {
            heldTime = nil
            offset = held.secondsSinceEpoch &- clock.secondsSinceEpoch()
        }
    }

    private func encodeNumber(_ value: Int64) -> UInt8 {
        let value = UInt8(clamping: value)
        return isBinary ? value : (value / 10 % 10) << 4 | value % 10
    }

    private func decodeNumber(_ value: UInt8) -> Int64 {
        isBinary ? Int64(value) : Int64(value >> 4) * 10 + Int64(value & 0x0F)
    }

    private func modulo(_ value: Int64, _ divisor: Int64) -> Int64 {
        let remainder = value % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }

    // MARK: - Memory size

    /// The memory-size bytes, as QEMU's PC machine sets them for SeaBIOS.
    private mutating func fillMemorySize(below4GiB: UInt64, above4GiB: UInt64) {
        let kib: UInt64 = 1024
        let mib = 1024 * kib
        store(Register.baseMemory, min(below4GiB / kib, 640), bytes: 2)
        let extended = min(below4GiB > mib ? (below4GiB - mib) / kib : 0, 0xFFFF)
        store(Register.extendedMemory, extended, bytes: 2)
        store(Register.extendedMemoryCopy, extended, bytes: 2)
        let above16MiB = min(below4GiB > 16 * mib ? (below4GiB - 16 * mib) / (64 * kib) : 0, 0xFFFF)
        store(Register.memoryAbove16MiB, above16MiB, bytes: 2)
        store(Register.memoryAbove4GiB, min(above4GiB / (64 * kib), 0xFF_FFFF), bytes: 3)
    }

    private mutating func store(_ register: UInt8, _ value: UInt64, bytes: Int) {
        for i in 0..<bytes {
            ram[Int(register) + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))
        }
    }
}
