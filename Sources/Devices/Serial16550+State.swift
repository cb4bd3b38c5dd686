import Snapshot

extension Serial16550 {
    /// The registers and the receive FIFO (the output and interrupt line are the
    /// machine's wiring, not state).
    func saveState(into writer: inout StateWriter) {
        for byte in [divisorLow, divisorHigh, interruptEnable, lineControl, modemControl, scratch] {
            writer.write(byte)
        }
        writer.write(fifoEnabled)
        writer.write(overrun)
        writer.write(transmitterInterruptPending)
        writer.write(bytes: Array(input))
    }

    mutating func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        let divisorLow = try reader.read("divisor low")
        let divisorHigh = try reader.read("divisor high")
        let interruptEnable = try reader.read("interrupt enable")
        guard interruptEnable & 0xF0 == 0 else {
            throw .invalidValue(field: "\(reader.context).interrupt enable", reason: "reserved bits set in \(interruptEnable)")
        }
        let lineControl = try reader.read("line control")
        let modemControl = try reader.read("modem control")
        guard modemControl & 0xE0 == 0 else {
            throw .invalidValue(field: "\(reader.context).modem control", reason: "reserved bits set in \(modemControl)")
        }
        let scratch = try reader.read("scratch")
        let fifoEnabled = try reader.readBool("fifo enabled")
        let overrun = try reader.readBool("overrun")
        let pending = try reader.readBool("transmitter interrupt pending")
        let input = try reader.readBytes("receive fifo", maximumCount: Self.inputCapacity)
        try reader.finish()
        self.divisorLow = divisorLow
        self.divisorHigh = divisorHigh
        self.interruptEnable = interruptEnable
        self.lineControl = lineControl
        self.modemControl = modemControl
        self.scratch = scratch
        self.fifoEnabled = fifoEnabled
        self.overrun = overrun
        self.transmitterInterruptPending = pending
        self.input = .init(input)
    }
}

extension SerialPort: StateSaving {
    public var stateSectionName: String { "serial" }

    public func saveState(into writer: inout StateWriter) {
        uart.withLock { $0.saveState(into: &writer) }
    }

    public func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        // Every field is decoded before any is stored: a bad section changes nothing.
        try uart.withLock { (device: inout Serial16550) throws(SnapshotError) in try device.restoreState(from: &reader) }
    }
}
