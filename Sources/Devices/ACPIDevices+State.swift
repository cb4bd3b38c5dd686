import Snapshot

// Snapshot state of the fixed ACPI hardware (docs/snapshots.md). The reset register
// has none. Each restore decodes every field before it stores any.

extension PM1EventPort: StateSaving {
    public var stateSectionName: String { "acpi.pm1-event" }

    public func saveState(into writer: inout StateWriter) {
        let registers = self.registers
        writer.write(registers.status)
        writer.write(registers.enable)
    }

    public func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        let status = try reader.readUInt16("status")
        let enable = try reader.readUInt16("enable")
        try reader.finish()
        guard enable & ~PM1Event.enableMask == 0 else {
            throw .invalidValue(field: "\(reader.context).enable", reason: "bits 0x\(String(enable, radix: 16)) include ones that do not exist")
        }
        registers = PM1Event(status: status, enable: enable)
    }
}

extension PM1ControlPort: StateSaving {
    public var stateSectionName: String { "acpi.pm1-control" }

    public func saveState(into writer: inout StateWriter) {
        writer.write(registers.value)
    }

    public func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        let value = try reader.readUInt16("control")
        try reader.finish()
        registers = PM1Control(softOffType: registers.softOffType, value: value)
    }
}

extension PMTimerPort: StateSaving {
    public var stateSectionName: String { "acpi.pm-timer" }

    /// The count at the time of the snapshot; a restored timer goes on from it.
    public func saveState(into writer: inout StateWriter) {
        writer.write(timer.count)
    }

    public func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        let count = try reader.readUInt32("count")
        try reader.finish()
        guard count <= PMTimer.counterMask else {
            throw .invalidValue(field: "\(reader.context).count", reason: "\(count) does not fit the 24-bit counter")
        }
        timer.restart(at: count)
    }
}
