import Devices
import Synchronization
import Testing

/// Collects transmitted bytes.
final class Collector: SerialOutput {
    let bytes = Mutex<[UInt8]>([])
    func write(byte: UInt8) { bytes.withLock { $0.append(byte) } }
    var all: [UInt8] { bytes.withLock { $0 } }
}

/// Counts interrupt triggers.
final class CountingLine: InterruptLine {
    let count = Atomic<Int>(0)
    func trigger() { count.add(1, ordering: .relaxed) }
    var triggers: Int { count.load(ordering: .relaxed) }
}

typealias R = Serial16550.Register

@Suite struct Serial16550Tests {
    @Test func transmitsBytesToTheOutput() {
        let out = Collector()
        var uart = Serial16550(output: out)
        for byte in Array("hi\n".utf8) { uart.write(R.data, byte) }
        #expect(out.all == Array("hi\n".utf8))
    }

    @Test func lineStatusAlwaysReportsTransmitterEmpty() {
        var uart = Serial16550(output: Collector())
        #expect(uart.read(R.lineStatus) == 0x60)
        uart.write(R.data, 0x41)
        #expect(uart.read(R.lineStatus) & 0x60 == 0x60)
    }

    @Test func dataReadyWhileInputIsQueued() {
        var uart = Serial16550(output: Collector())
        uart.receive([0x61, 0x62])
        #expect(uart.read(R.lineStatus) & 0x01 == 0x01)
        #expect(uart.read(R.data) == 0x61)
        #expect(uart.read(R.data) == 0x62)
        #expect(uart.read(R.lineStatus) & 0x01 == 0)
        #expect(uart.read(R.data) == 0, "an empty receive buffer reads as 0")
    }

    @Test func divisorLatchHidesDataAndInterruptEnable() {
        let out = Collector()
        var uart = Serial16550(output: out)
        uart.write(R.lineControl, 0x80)
        uart.write(R.data, 0x01)
        uart.write(R.interruptEnable, 0x02)
        #expect(uart.read(R.data) == 0x01)
        #expect(uart.read(R.interruptEnable) == 0x02)
        uart.write(R.lineControl, 0x03)
        #expect(uart.read(R.interruptEnable) == 0, "IER untouched by DLM writes")
        #expect(out.all.isEmpty, "divisor writes are not transmitted")
    }

    @Test func transmitterEmptyInterrupt() {
        let line = CountingLine()
        var uart = Serial16550(output: Collector(), interrupt: line)
        #expect(uart.read(R.interruptID) == 0x01, "no interrupt pending")
        uart.write(R.interruptEnable, 0x02)
        #expect(line.triggers == 1, "enabling THRE while empty raises it")
        #expect(uart.read(R.interruptID) == 0x02)
        #expect(uart.read(R.interruptID) == 0x01, "reading IIR clears THRE")
        uart.write(R.data, 0x41)
        #expect(line.triggers == 2)
        #expect(uart.read(R.interruptID) == 0x02)
    }

    @Test func receivedDataInterruptHasPriority() {
        let line = CountingLine()
        var uart = Serial16550(output: Collector(), interrupt: line)
        uart.write(R.interruptEnable, 0x03)
        uart.receive([0x7A])
        #expect(uart.read(R.interruptID) == 0x04)
        #expect(uart.read(R.data) == 0x7A)
        #expect(uart.read(R.interruptID) == 0x02, "THRE still owed after the data was read")
        #expect(line.triggers == 2)
    }

    @Test func noInterruptsWhenDisabled() {
        let line = CountingLine()
        var uart = Serial16550(output: Collector(), interrupt: line)
        uart.write(R.data, 1)
        uart.receive([1])
        #expect(line.triggers == 0)
        #expect(uart.read(R.interruptID) == 0x01)
    }

    @Test func loopbackReturnsTransmittedBytes() {
        let out = Collector()
        var uart = Serial16550(output: out)
        uart.write(R.modemControl, 0x10 | 0x0F)
        uart.write(R.data, 0xA5)
        #expect(out.all.isEmpty, "loopback bytes do not leave the UART")
        #expect(uart.read(R.lineStatus) & 0x01 == 1)
        #expect(uart.read(R.data) == 0xA5)
        #expect(uart.read(R.modemStatus) == 0xF0, "MCR outputs appear on MSR inputs")
        uart.write(R.modemControl, 0x10)
        #expect(uart.read(R.modemStatus) == 0x00)
        uart.write(R.modemControl, 0x08)
        #expect(uart.read(R.modemStatus) == 0xB0)
    }

    @Test func fifoControl() {
        var uart = Serial16550(output: Collector())
        uart.write(R.interruptID, 0x01)
        #expect(uart.read(R.interruptID) == 0xC1)
        uart.receive([1, 2, 3])
        uart.write(R.interruptID, 0x03)
        #expect(uart.pendingInput == 0, "FCR bit 1 clears the receive FIFO")
    }

    @Test func overrunIsReportedOnce() {
        var uart = Serial16550(output: Collector())
        uart.receive([UInt8](repeating: 0x55, count: Serial16550.inputCapacity + 5))
        #expect(uart.pendingInput == Serial16550.inputCapacity)
        #expect(uart.read(R.lineStatus) & 0x02 == 0x02)
        #expect(uart.read(R.lineStatus) & 0x02 == 0)
    }

    @Test func scratchAndLineControlRoundTrip() {
        var uart = Serial16550(output: Collector())
        uart.write(R.scratch, 0x5A)
        uart.write(R.lineControl, 0x1B)
        #expect(uart.read(R.scratch) == 0x5A)
        #expect(uart.read(R.lineControl) == 0x1B)
        uart.write(R.lineStatus, 0)
        #expect(uart.read(R.lineStatus) == 0x60, "LSR is read-only")
    }

    @Test func serialPortAdapterUsesByteBuffers() {
        let out = Collector()
        let port = SerialPort(output: out)
        var value: UInt8 = 0x42
        let action = withUnsafeBytes(of: &value) { port.write(offset: 0, data: $0) }
        #expect(action == .none)
        #expect(out.all == [0x42])
        var status: UInt32 = 0
        withUnsafeMutableBytes(of: &status) { port.read(offset: 5, data: $0) }
        #expect(status == 0x60)
        port.receive([9])
        var data: UInt8 = 0
        withUnsafeMutableBytes(of: &data) { port.read(offset: 0, data: $0) }
        #expect(data == 9)
    }
}

@Suite struct DebugExitTests {
    @Test(arguments: [(UInt64(0), Int32(1)), (1, 3), (42, 85), (0x7F, 255)])
    func statusFollowsQEMU(value: UInt64, status: Int32) {
        #expect(DebugExit.status(forWrittenValue: value) == status)
        let device = DebugExit()
        var written = UInt32(value)
        let action = withUnsafeBytes(of: &written) { device.write(offset: 0, data: $0) }
        #expect(action == .exit(status: status))
    }

    @Test func readsAsZero() {
        var value: UInt32 = 0xFFFF_FFFF
        withUnsafeMutableBytes(of: &value) { DebugExit().read(offset: 0, data: $0) }
        #expect(value == 0)
    }
}
