import Devices
import Testing

/// Byte-buffer helpers for driving a `BusDevice` the way the I/O bus does.
private func write(_ device: BusDevice, _ offset: UInt64, _ value: UInt64, width: Int) -> BusAction {
    var bytes = [UInt8](repeating: 0, count: width)
    for i in 0..<width { bytes[i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    return bytes.withUnsafeBytes { device.write(offset: offset, data: $0) }
}

private func read(_ device: BusDevice, _ offset: UInt64, width: Int) -> UInt64 {
    var bytes = [UInt8](repeating: 0xAA, count: width)
    bytes.withUnsafeMutableBytes { device.read(offset: offset, data: $0) }
    return bytes.withUnsafeBytes { $0.littleEndianValue }
}

@Suite struct PMTimerTests {
    @Test func countsAt3579545HertzFromZero() {
        let clock = ManualMonotonicClock(nanoseconds: 123_456_789)
        let timer = PMTimer(clock: clock)
        #expect(timer.count == 0)
        clock.advance(by: 1_000_000_000)
        #expect(timer.count == 3_579_545)
        clock.advance(by: 1_000)  // 3.58 ticks more: truncated.
        #expect(timer.count == 3_579_548)
    }

    @Test func wrapsAt24Bits() {
        let clock = ManualMonotonicClock()
        let timer = PMTimer(clock: clock)
        // 2^24 ticks = 4.6869 s; just before and just after the wrap.
        let wrapNanoseconds = (UInt64(1) << 24) * 1_000_000_000 / PMTimer.frequency  // 4_686_947_066 (truncated)
        clock.advance(by: wrapNanoseconds - 1_000)
        let before = timer.count
        #expect(before > 0xFF_FF00 && before <= 0xFF_FFFF)
        clock.advance(by: 2_000)
        let after = timer.count
        #expect(after < 0x100, "wrapped to a small value, never above 24 bits: \(after)")
        #expect((after &- before) & PMTimer.counterMask == 7, "7 ticks in 2 µs across the wrap")
        clock.advance(by: 1_000_000_000 * 3600)
        #expect(timer.count <= PMTimer.counterMask)
    }

    @Test func portReadsBytesAndIgnoresWrites() {
        let clock = ManualMonotonicClock()
        let port = PMTimerPort(PMTimer(clock: clock))
        clock.advance(by: 1_000_000_000)  // 3_579_545 = 0x369E99
        #expect(read(port, 0, width: 4) == 0x36_9E99)
        #expect(read(port, 0, width: 2) == 0x9E99)
        #expect(read(port, 2, width: 1) == 0x36)
        #expect(read(port, 3, width: 1) == 0x00, "bits 24-31 read as 0 (TMR_VAL_EXT clear)")
        #expect(write(port, 0, 0, width: 4) == .none)
        #expect(read(port, 0, width: 4) == 0x36_9E99)
    }

    @Test func hostClockAdvances() {
        let timer = PMTimer()
        let start = timer.count
        var spins = 0
        while timer.count == start && spins < 10_000_000 { spins += 1 }
        #expect(timer.count != start, "the timer moved within \(spins) reads")
    }
}

@Suite struct PM1Tests {
    @Test func statusIsWriteOneToClearAndEnableRaisesTheSCI() {
        let sci = CountingLine()
        let block = PM1EventPort(sci: sci)
        #expect(read(block, 0, width: 4) == 0)
        block.pressPowerButton()
        #expect(sci.triggers == 0, "not enabled: status only")
        #expect(read(block, 0, width: 2) == 0x0100)
        // Enabling a pending event raises the SCI.
        _ = write(block, 2, 0x0100, width: 2)
        #expect(sci.triggers == 1 && read(block, 2, width: 2) == 0x0100)
        // Writing 0 clears nothing; writing the bit clears it.
        _ = write(block, 0, 0x0000, width: 2)
        #expect(read(block, 0, width: 2) == 0x0100)
        _ = write(block, 0, 0x0100, width: 2)
        #expect(read(block, 0, width: 2) == 0)
        block.pressPowerButton()
        #expect(sci.triggers == 2)
        // Enable bits that do not exist read as 0.
        _ = write(block, 2, 0xFFFF, width: 2)
        #expect(read(block, 2, width: 2) == UInt64(PM1Event.enableMask))
        // A 32-bit write at 0 clears status bits and sets the enables at once.
        _ = write(block, 0, 0xFFFF_0100, width: 4)
        #expect(block.registers.status == 0 && block.registers.enable == PM1Event.enableMask)
    }

    @Test func controlKeepsSCIEnabledAndShutsDownOnS5() {
        let control = PM1ControlPort(softOffType: 5)
        #expect(read(control, 0, width: 2) == 1, "SCI_EN: always in ACPI mode")
        _ = write(control, 0, 0, width: 2)
        #expect(read(control, 0, width: 2) == 1)
        // SLP_TYP alone is stored; SLP_EN reads back as 0.
        #expect(write(control, 0, 5 << 10, width: 2) == .none)
        #expect(read(control, 0, width: 2) == 5 << 10 | 1)
        #expect(write(control, 0, 5 << 10 | 1 << 13, width: 2) == .shutdown)
        // Another sleep type with SLP_EN does nothing.
        #expect(write(control, 0, 3 << 10 | 1 << 13, width: 2) == .none)
        // Byte writes: SLP_TYP and SLP_EN live in the high byte.
        #expect(write(control, 1, (5 << 2) | (1 << 5), width: 1) == .shutdown)
    }

    @Test func resetRegisterResetsOnItsValueOnly() {
        let reset = ResetRegister(resetValue: 1)
        #expect(write(reset, 0, 0, width: 1) == .none)
        #expect(write(reset, 0, 6, width: 1) == .none)
        #expect(write(reset, 0, 1, width: 1) == .reset)
        #expect(read(reset, 0, width: 1) == 0)
    }
}
