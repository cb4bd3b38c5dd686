import Snapshot

extension PS2Keyboard {
    func saveState(into writer: inout StateWriter) {
        writer.write(isScanning)
        writer.write(leds)
        writer.write(typematic)
        writer.write(optional: awaitingParameterFor) { $0.write($1) }
    }

    mutating func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        isScanning = try reader.readBool("keyboard scanning")
        leds = try reader.read("keyboard leds")
        typematic = try reader.read("keyboard typematic")
        awaitingParameterFor = try reader.readOptional("keyboard parameter for") { (reader) throws(SnapshotError) in
            try reader.read("command")
        }
    }
}

extension I8042 {
    /// The controller's RAM, output port, pending output and command state, and
    /// the keyboard's (the interrupt lines are wiring, not state).
    func saveState(into writer: inout StateWriter) {
        writer.write(config)
        writer.write(outputPort)
        writer.write(raw: ram)
        keyboard.saveState(into: &writer)
        writer.write(optional: reply) { writer, output in Self.write(output, into: &writer) }
        writer.write(UInt32(deviceOutput.count))
        for output in deviceOutput { Self.write(output, into: &writer) }
        writer.write(optional: awaitingParameterFor) { $0.write($1) }
        writer.write(lastWriteWasCommand)
        writer.write(lastRead)
        writer.write(frontSignalled)
    }

    mutating func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        var copy = self
        copy.config = try reader.read("config")
        copy.outputPort = try reader.read("output port")
        copy.ram = try reader.readRaw("ram", count: 32)
        try copy.keyboard.restoreState(from: &reader)
        copy.reply = try reader.readOptional("reply") { (reader) throws(SnapshotError) in try Self.readOutput(&reader) }
        let count = Int(try reader.readUInt32("output count"))
        guard count <= Self.outputCapacity else {
            throw .invalidValue(field: "\(reader.context).output count",
                                reason: "\(count) is more than the \(Self.outputCapacity) bytes the buffer holds")
        }
        copy.deviceOutput.removeAll()
        for _ in 0..<count { copy.deviceOutput.append(try Self.readOutput(&reader)) }
        copy.awaitingParameterFor = try reader.readOptional("parameter for") { (reader) throws(SnapshotError) in
            try reader.read("command")
        }
        copy.lastWriteWasCommand = try reader.readBool("last write was command")
        copy.lastRead = try reader.read("last read")
        copy.frontSignalled = try reader.readBool("front signalled")
        try reader.finish()
        self = copy
    }

    private static func write(_ output: Output, into writer: inout StateWriter) {
        writer.write(output.byte)
        writer.write(output.fromAux)
    }

    private static func readOutput(_ reader: inout StateReader) throws(SnapshotError) -> Output {
        Output(byte: try reader.read("output byte"), fromAux: try reader.readBool("output from aux"))
    }
}

extension KeyboardController: StateSaving {
    public var stateSectionName: String { "i8042" }

    public func saveState(into writer: inout StateWriter) {
        state.withLock { $0.saveState(into: &writer) }
    }

    public func restoreState(from reader: inout StateReader) throws(SnapshotError) {
        // Every field is decoded before any is stored: a bad section changes nothing.
        try state.withLock { (device: inout I8042) throws(SnapshotError) in try device.restoreState(from: &reader) }
    }
}
