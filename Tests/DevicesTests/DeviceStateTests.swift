import Devices
import Snapshot
import Testing

/// One byte read from a bus device at `offset`.
private func readByte(_ device: some BusDevice, _ offset: UInt64) -> UInt8 {
    var value: UInt8 = 0
    withUnsafeMutableBytes(of: &value) { device.read(offset: offset, data: $0) }
    return value
}

private func writeByte(_ device: some BusDevice, _ offset: UInt64, _ value: UInt8) {
    var byte = value
    _ = withUnsafeBytes(of: &byte) { device.write(offset: offset, data: $0) }
}

private func saved(_ device: some StateSaving) -> [UInt8] {
    var writer = StateWriter()
    device.saveState(into: &writer)
    return writer.bytes
}

private func restore(_ device: some StateSaving, _ bytes: [UInt8]) throws(SnapshotError) {
    var reader = StateReader(bytes, context: device.stateSectionName)
    try device.restoreState(from: &reader)
}

private func restoreError(_ device: some StateSaving, _ bytes: [UInt8]) -> SnapshotError? {
    do throws(SnapshotError) {
        try restore(device, bytes)
        return nil
    } catch { return error }
}

/// Save and restore of the legacy devices (`StateSaving`): a restored device
/// answers the guest exactly as the saved one did, and a bad section is rejected
/// with an error naming the field, leaving the device as it was.
@Suite struct DeviceStateTests {
    @Test func serialPortRoundTrip() throws {
        let original = SerialPort(output: Collector())
        writeByte(original, 3, 0x80)  // DLAB
        writeByte(original, 0, 0x01)  // divisor 115200
        writeByte(original, 3, 0x1B)  // 8E1, DLAB off
        writeByte(original, 1, 0x01)  // receive interrupt
        writeByte(original, 7, 0x5A)  // scratch
        original.receive(Array("xyz".utf8))
        let bytes = saved(original)

        let copy = SerialPort(output: Collector())
        try restore(copy, bytes)
        #expect(saved(copy) == bytes)
        for offset: UInt64 in [1, 3, 4, 5, 7] { #expect(readByte(copy, offset) == readByte(original, offset)) }
        #expect((0..<3).map { _ in readByte(copy, 0) } == Array("xyz".utf8))
        writeByte(copy, 3, 0x9B)
        #expect(readByte(copy, 0) == 0x01, "divisor latch restored")
    }

    @Test func serialPortRejectsBadSections() {
        let bytes = saved(SerialPort(output: Collector()))
        let port = SerialPort(output: Collector())
        writeByte(port, 7, 0x33)
        guard case .truncated = restoreError(port, Array(bytes.dropLast())) else {
            Issue.record("a short section was accepted")
            return
        }
        var reserved = bytes
        reserved[2] = 0xF1  // interrupt enable with reserved bits
        guard case .invalidValue(let field, _) = restoreError(port, reserved) else {
            Issue.record("reserved IER bits were accepted")
            return
        }
        #expect(field.contains("interrupt enable"))
        guard case .invalidValue = restoreError(port, bytes + [0]) else {
            Issue.record("trailing bytes were accepted")
            return
        }
        #expect(readByte(port, 7) == 0x33, "a rejected section changes nothing")
    }

    @Test func cmosRoundTripAndBadIndex() throws {
        let clock = FixedClock()
        let original = CMOSPort(memoryBelow4GiB: 256 << 20, memoryAbove4GiB: 0, cpuCount: 2, clock: clock)
        writeByte(original, 0, 0x40)
        writeByte(original, 1, 0x99)
        writeByte(original, 0, 0x41)
        let bytes = saved(original)
        let copy = CMOSPort(memoryBelow4GiB: 1 << 20, memoryAbove4GiB: 0, cpuCount: 1, clock: clock)
        try restore(copy, bytes)
        #expect(copy.register(0x40) == 0x99)
        #expect(copy.register(0x5F) == 1, "the CPU count comes from the snapshot")
        #expect(readByte(copy, 1) == readByte(original, 1), "the selected index was restored")

        var bad = bytes
        bad[CMOS.size] = 0x80  // the index
        guard case .invalidValue(let field, _) = restoreError(copy, bad) else {
            Issue.record("an index of 0x80 was accepted")
            return
        }
        #expect(field.contains("index"))
    }

    @Test func keyboardControllerRoundTripAndBadCount() throws {
        let original = KeyboardController()
        writeByte(original.commandPort, 0, I8042.Command.writeConfig)
        writeByte(original.dataPort, 0, 0x47)
        original.pressCtrlAltDelete()
        let bytes = saved(original)
        let copy = KeyboardController()
        try restore(copy, bytes)
        #expect(saved(copy) == bytes)
        var fromOriginal: [UInt8] = [], fromCopy: [UInt8] = []
        while readByte(original.commandPort, 0) & 1 != 0 && fromOriginal.count < 32 {
            fromOriginal.append(readByte(original.dataPort, 0))
        }
        while readByte(copy.commandPort, 0) & 1 != 0 && fromCopy.count < 32 {
            fromCopy.append(readByte(copy.dataPort, 0))
        }
        #expect(!fromCopy.isEmpty && fromCopy == fromOriginal)

        // Config, output port, 32 RAM bytes, keyboard (3 + optional), no reply, then the count.
        var bad = saved(KeyboardController())
        let countOffset = 2 + 32 + 4 + 1
        bad[countOffset] = 99
        guard case .invalidValue(let field, _) = restoreError(copy, bad) else {
            Issue.record("an output count of 99 was accepted")
            return
        }
        #expect(field.contains("output count"))
    }
}

private final class FixedClock: WallClock {
    func secondsSinceEpoch() -> Int64 { 1_700_000_000 }
}
