import Devices
import Synchronization
import Testing

/// A clock the test moves by hand.
private final class ManualClock: WallClock {
    let now: Mutex<Int64>
    init(_ seconds: Int64) { now = Mutex(seconds) }
    func secondsSinceEpoch() -> Int64 { now.withLock { $0 } }
    func advance(by seconds: Int64) { now.withLock { $0 += seconds } }
}

private typealias Register = CMOS.Register

/// 2024-03-15 13:45:30 UTC, a Friday.
private let friday: Int64 = 1_710_510_330
private let mib: UInt64 = 1 << 20

private func makeCMOS(at seconds: Int64 = friday, below: UInt64 = 512 * mib, above: UInt64 = 0, cpus: Int = 1) -> CMOS {
    CMOS(memoryBelow4GiB: below, memoryAbove4GiB: above, cpuCount: cpus,
         clock: FixedWallClock(secondsSinceEpoch: seconds))
}

/// Seconds, minutes, hours, weekday, day, month, year, century as the guest reads them.
private func timeRegisters(_ cmos: CMOS) -> [UInt8] {
    [Register.seconds, Register.minutes, Register.hours, Register.dayOfWeek,
     Register.dayOfMonth, Register.month, Register.year, Register.century].map { cmos.read($0) }
}

@Suite struct CMOSTests {
    @Test func timeInBCDAnd24HourByDefault() {
        #expect(timeRegisters(makeCMOS()) == [0x30, 0x45, 0x13, 0x06, 0x15, 0x03, 0x24, 0x20])
    }

    static let calendarCases: [(Int64, [UInt8])] = [
        (951_782_400, [0x00, 0x00, 0x00, 0x03, 0x29, 0x02, 0x00, 0x20]),    // 2000-02-29, Tuesday
        (946_684_799, [0x59, 0x59, 0x23, 0x06, 0x31, 0x12, 0x99, 0x19]),    // 1999-12-31, Friday
        (4_107_542_400, [0x00, 0x00, 0x00, 0x02, 0x01, 0x03, 0x00, 0x21]),  // 2100-03-01, Monday
        (0, [0x00, 0x00, 0x00, 0x05, 0x01, 0x01, 0x70, 0x19]),              // the epoch, Thursday
    ]

    @Test(arguments: calendarCases)
    func calendarEdges(seconds: Int64, expected: [UInt8]) {
        #expect(timeRegisters(makeCMOS(at: seconds)) == expected)
    }

    @Test func binaryModeFollowsStatusB() {
        var cmos = makeCMOS()
        cmos.write(Register.statusB, CMOS.StatusB.hours24 | CMOS.StatusB.binary)
        #expect(timeRegisters(cmos) == [30, 45, 13, 6, 15, 3, 24, 20])
    }

    @Test func twelveHourModeSetsThePMBit() {
        var cmos = makeCMOS()
        cmos.write(Register.statusB, 0)
        #expect(cmos.read(Register.hours) == 0x81, "13:45 is 1 PM")
        var midnight = makeCMOS(at: 1_706_659_200)  // 2024-01-31 00:00:00
        midnight.write(Register.statusB, 0)
        #expect(midnight.read(Register.hours) == 0x12, "midnight is 12 AM")
        midnight.write(Register.statusB, CMOS.StatusB.binary)
        #expect(midnight.read(Register.hours) == 12)
    }

    @Test func indexPortMasksTheNMIBit() {
        var cmos = makeCMOS()
        cmos.writeIndex(0x80 | Register.minutes)
        #expect(cmos.selectedRegister == Register.minutes)
        #expect(cmos.nmiDisabled)
        #expect(cmos.readData() == 0x45)
        cmos.writeIndex(Register.seconds)
        #expect(!cmos.nmiDisabled)
        #expect(cmos.readData() == 0x30)
    }

    @Test func statusRegisters() {
        var cmos = makeCMOS()
        #expect(cmos.read(Register.statusA) == 0x26, "UIP clear")
        cmos.write(Register.statusA, 0xA6)
        #expect(cmos.read(Register.statusA) == 0x26, "UIP cannot be set")
        #expect(cmos.read(Register.statusB) == 0x02)
        #expect(cmos.read(Register.statusC) == 0)
        #expect(cmos.read(Register.statusD) == 0x80)
        cmos.write(Register.statusD, 0)
        cmos.write(Register.statusC, 0xF0)
        #expect(cmos.read(Register.statusD) == 0x80)
        #expect(cmos.read(Register.statusC) == 0)
    }

    @Test func memorySizeFor512MiBAndTwoCPUs() {
        let cmos = makeCMOS(cpus: 2)
        #expect(cmos.read(0x15) == 0x80 && cmos.read(0x16) == 0x02, "640 KiB base memory")
        #expect(cmos.read(0x17) == 0xFF && cmos.read(0x18) == 0xFF, "511 MiB in KiB, capped")
        #expect(cmos.read(0x30) == 0xFF && cmos.read(0x31) == 0xFF)
        #expect(cmos.read(0x34) == 0x00 && cmos.read(0x35) == 0x1F, "496 MiB in 64 KiB units")
        #expect([cmos.read(0x5B), cmos.read(0x5C), cmos.read(0x5D)] == [0, 0, 0])
        #expect(cmos.read(0x5F) == 1)
    }

    @Test func memorySizeForSmallAndLargeMachines() {
        let small = makeCMOS(below: 8 * mib)
        #expect(small.read(0x17) == 0x00 && small.read(0x18) == 0x1C, "7 MiB = 7168 KiB")
        #expect(small.read(0x34) == 0 && small.read(0x35) == 0)
        #expect(small.read(0x5F) == 0)

        let large = makeCMOS(below: 3072 * mib, above: 2048 * mib, cpus: 4)
        #expect(large.read(0x34) == 0x00 && large.read(0x35) == 0xBF, "3056 MiB in 64 KiB units")
        #expect([large.read(0x5B), large.read(0x5C), large.read(0x5D)] == [0x00, 0x80, 0x00])
        #expect(large.read(0x5F) == 3)
    }

    @Test func writtenTimeKeepsRunningFromTheClock() {
        let clock = ManualClock(friday)
        var cmos = CMOS(memoryBelow4GiB: 0, memoryAbove4GiB: 0, cpuCount: 1, clock: clock)
        cmos.write(Register.minutes, 0x05)
        cmos.write(Register.hours, 0x08)
        #expect(cmos.read(Register.hours) == 0x08 && cmos.read(Register.minutes) == 0x05)
        clock.advance(by: 3600 + 60)
        #expect(cmos.read(Register.hours) == 0x09)
        #expect(cmos.read(Register.minutes) == 0x06)
        #expect(cmos.read(Register.seconds) == 0x30)
    }

    @Test func setBitHoldsTheTimeAndAppliesWritesTogether() {
        let clock = ManualClock(1_706_695_200)  // 2024-01-31 10:00:00
        var cmos = CMOS(memoryBelow4GiB: 0, memoryAbove4GiB: 0, cpuCount: 1, clock: clock)
        cmos.write(Register.statusB, CMOS.StatusB.set | CMOS.StatusB.hours24 | CMOS.StatusB.updateInterruptEnable)
        #expect(cmos.read(Register.statusB) == 0x82, "SET clears the update interrupt enable")
        clock.advance(by: 10)
        #expect(cmos.read(Register.seconds) == 0x00, "the time stands still while SET is held")
        // Month first: January 31 would pass through "February 31" if applied at once.
        cmos.write(Register.month, 0x02)
        cmos.write(Register.dayOfMonth, 0x28)
        cmos.write(Register.year, 0x25)
        cmos.write(Register.dayOfWeek, 0x01)
        cmos.write(Register.statusB, CMOS.StatusB.hours24)
        #expect(timeRegisters(cmos) == [0x00, 0x00, 0x10, 0x06, 0x28, 0x02, 0x25, 0x20],
                "2025-02-28 is a Friday; the weekday write was ignored")
        clock.advance(by: 86_400)
        #expect(cmos.read(Register.dayOfMonth) == 0x01 && cmos.read(Register.month) == 0x03)
    }

    @Test func writesRoundTripInEveryFormat() {
        for statusB in [UInt8(0x02), 0x06, 0x00, 0x04] {
            var cmos = makeCMOS()
            cmos.write(Register.statusB, statusB | CMOS.StatusB.set)
            let binary = statusB & CMOS.StatusB.binary != 0
            let encode = { (value: UInt8) -> UInt8 in binary ? value : (value / 10) << 4 | value % 10 }
            let hour: UInt8 = statusB & CMOS.StatusB.hours24 != 0 ? encode(23) : encode(11) | 0x80
            let written = [encode(7), encode(59), hour, encode(4), encode(12), encode(31), encode(21)]
            let registers = [Register.seconds, Register.minutes, Register.hours, Register.dayOfMonth,
                             Register.month, Register.year, Register.century]
            for (register, value) in zip(registers, written) { cmos.write(register, value) }
            cmos.write(Register.statusB, statusB)
            #expect(registers.map { cmos.read($0) } == written, "status B \(statusB)")
        }
    }

    @Test func otherBytesArePlainStorage() {
        var cmos = makeCMOS()
        cmos.write(0x40, 0x5A)
        cmos.write(Register.secondsAlarm, 0x33)
        cmos.write(0x7F, 0x01)
        #expect(cmos.read(0x40) == 0x5A)
        #expect(cmos.read(Register.secondsAlarm) == 0x33)
        #expect(cmos.read(0x7F) == 0x01)
        #expect(cmos.read(0xFF) == 0x01, "register numbers wrap at 128")
    }

    @Test func portOnABus() {
        let port = CMOSPort(memoryBelow4GiB: 512 * mib, memoryAbove4GiB: 0, cpuCount: 1,
                            clock: FixedWallClock(secondsSinceEpoch: friday))
        var select: UInt8 = 0x80 | Register.hours
        _ = withUnsafeBytes(of: &select) { port.write(offset: 0, data: $0) }
        var value: UInt8 = 0
        withUnsafeMutableBytes(of: &value) { port.read(offset: 1, data: $0) }
        #expect(value == 0x13)
        withUnsafeMutableBytes(of: &value) { port.read(offset: 0, data: $0) }
        #expect(value == 0xFF, "the index port is write-only")

        var indexAndData: UInt16 = 0x42_41  // select 0x41, write 0x42
        #expect(withUnsafeBytes(of: &indexAndData) { port.write(offset: 0, data: $0) } == .none)
        #expect(port.register(0x41) == 0x42)
        var both: UInt16 = 0
        withUnsafeMutableBytes(of: &both) { port.read(offset: 0, data: $0) }
        #expect(both == 0x42_FF)
    }
}
