import Snapshot

extension CMOS {
    /// The 128 bytes of RAM, the index, the guest's offset from the host clock and
    /// a held (SET bit) time. The wall clock itself is the host's.
    func saveState(into writer: inout StateWriter) {
        writer.write(raw: ram)
        writer.write(index)
        writer.write(nmiDisabled)
        writer.write(offset)
        writer.write(optional: heldTime) { writer, date in
            for field in [date.year, date.month, date.day, date.hour, date.minute, date.second] { writer.write(field) }
        }
    }

    mutating func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        let ram = try reader.readRaw("ram", count: CMOS.size)
        let index = try reader.read("index")
        guard index < 0x80 else {
            throw .invalidValue(field: "\(reader.context).index", reason: "\(index) is not a register (0-127)")
        }
        let nmiDisabled = try reader.readBool("nmi disabled")
        let offset = try reader.readInt64("clock offset")
        let held = try reader.readOptional("held time") { (reader) throws(SnapshotError) -> CalendarDate in
            CalendarDate(year: try reader.readInt64("year"), month: try reader.readInt64("month"),
                         day: try reader.readInt64("day"), hour: try reader.readInt64("hour"),
                         minute: try reader.readInt64("minute"), second: try reader.readInt64("second"))
        }
        if let held, !(1...12).contains(held.month) || !(1...31).contains(held.day) || !(0...23).contains(held.hour)
            || !(0...59).contains(held.minute) || !(0...59).contains(held.second) {
            throw .invalidValue(field: "\(reader.context).held time", reason: "not a valid date and time")
        }
        try reader.finish()
        self.ram = ram
        self.index = index
        self.nmiDisabled = nmiDisabled
        self.offset = offset
        self.heldTime = held
    }
}

extension CMOSPort: StateSaving {
    public var stateSectionName: String { "rtc" }

    public func saveState(into writer: inout StateWriter) {
        cmos.withLock { $0.saveState(into: &writer) }
    }

    public func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        // Every field is decoded before any is stored: a bad section changes nothing.
        try cmos.withLock { (device: inout CMOS) throws(SnapshotError) in try device.restoreState(from: &reader) }
    }
}
