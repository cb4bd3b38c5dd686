import Devices
import Snapshot
import Testing

/// Snapshot state of the fixed ACPI hardware: PM1 status/enable and control come
/// back as saved, the PM timer goes on from its saved count, and a bad section is
/// refused naming its field.
@Suite struct ACPIStateTests {
    private func saved(_ device: some StateSaving) -> [UInt8] {
        var writer = StateWriter()
        device.saveState(into: &writer)
        return writer.bytes
    }

    private func restoreError(_ device: some StateSaving, _ bytes: [UInt8]) -> SnapshotError? {
        var reader = StateReader(bytes, context: device.stateSectionName)
        do throws(SnapshotError) {
            try device.restoreState(from: &reader)
            return nil
        } catch { return error }
    }

    @Test func pm1EventAndControlRoundTrip() {
        let event = PM1EventPort(sci: CountingLine())
        event.pressPowerButton()
        event.registers = PM1Event(status: event.registers.status, enable: PM1Event.Bit.powerButton)
        let copy = PM1EventPort(sci: CountingLine())
        #expect(restoreError(copy, saved(event)) == nil)
        #expect(copy.registers == event.registers)
        #expect(copy.registers.sciPending)

        let control = PM1ControlPort(softOffType: 5)
        var value: UInt16 = 5 << 10 | PM1Control.busMasterReload
        _ = withUnsafeBytes(of: &value) { control.write(offset: 0, data: $0) }
        let controlCopy = PM1ControlPort(softOffType: 5)
        #expect(restoreError(controlCopy, saved(control)) == nil)
        #expect(controlCopy.registers.value == 5 << 10 | PM1Control.busMasterReload | PM1Control.sciEnable)
    }

    @Test func pmTimerGoesOnFromItsSavedCount() {
        let clock = ManualMonotonicClock(nanoseconds: 1_000)
        let timer = PMTimerPort(PMTimer(clock: clock))
        clock.advance(by: 1_000_000_000)  // one second: 3,579,545 ticks
        let bytes = saved(timer)
        #expect(bytes == StateWriter.bytes(UInt32(3_579_545)))

        // A new machine, whose own timer started at 0 long ago on another clock.
        let otherClock = ManualMonotonicClock(nanoseconds: 77_000_000_000)
        let restored = PMTimerPort(PMTimer(clock: otherClock))
        otherClock.advance(by: 2_000_000_000)
        #expect(restoreError(restored, bytes) == nil)
        #expect(restored.timer.count == 3_579_545)
        otherClock.advance(by: 1_000_000)  // 1 ms: 3579.545 ticks
        #expect(restored.timer.count == 3_579_545 + 3_579)
    }

    @Test func badSectionsAreRefusedNamingTheField() {
        let event = PM1EventPort(sci: CountingLine())
        guard case .invalidValue(let field, _) = restoreError(event, StateWriter.bytes(UInt16(0), UInt16(0x8000))) else {
            Issue.record("an enable bit that does not exist was accepted")
            return
        }
        #expect(field == "acpi.pm1-event.enable")
        let timer = PMTimerPort()
        guard case .invalidValue(let timerField, _) = restoreError(timer, StateWriter.bytes(UInt32(1 << 24))) else {
            Issue.record("a count beyond 24 bits was accepted")
            return
        }
        #expect(timerField == "acpi.pm-timer.count")
        // Every truncation of every section is refused.
        let control = PM1ControlPort(softOffType: 5)
        for device in [event, control, timer] as [any StateSaving] {
            let bytes = saved(device)
            for length in 0..<bytes.count {
                #expect(restoreError(device, Array(bytes.prefix(length))) != nil, "\(device.stateSectionName) cut at \(length)")
            }
            #expect(restoreError(device, bytes + [0]) != nil, "\(device.stateSectionName) with a trailing byte")
        }
    }
}

extension StateWriter {
    /// The bytes of `values` written in order (a test helper).
    static func bytes(_ values: any FixedWidthInteger...) -> [UInt8] {
        var writer = StateWriter()
        for value in values {
            switch value {
            case let v as UInt16: writer.write(v)
            case let v as UInt32: writer.write(v)
            default: writer.write(UInt64(value))
            }
        }
        return writer.bytes
    }
}
