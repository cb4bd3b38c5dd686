import DequeModule

/// An Intel 8042 keyboard controller with a PS/2 keyboard and no mouse, as a
/// register-level state machine.
///
/// The guest sees a data register (port 0x60) and a status/command register
/// (port 0x64). It models what Linux's i8042 driver probes: the status bits, the
/// controller configuration byte (`0x20` read, `0x60` write), the self and
/// interface tests, enabling and disabling each port, the aux loopback (`0xD3`),
/// the output port, and the reset line (`0xFE`, or any pulse or output-port write
/// that drives bit 0 low), which `write` reports as `BusAction.reset`.
///
/// Output is a small FIFO. A controller answer goes ahead of keyboard bytes, like
/// the real controller's single output register, so a command's answer is never
/// stuck behind queued keys. The aux port exists, but nothing is plugged into it:
/// a byte sent to the mouse (`0xD4`) is answered with `0xFE` (resend) from the aux
/// side, so a guest's mouse probe fails at once instead of waiting for a timeout.
///
/// An interrupt is an edge on the keyboard line (IRQ 1) or the aux line (IRQ 12)
/// whenever a byte becomes readable and the configuration byte enables that
/// port's interrupt; a guest that reads a byte and finds more gets another edge.
public struct I8042 {
    /// The ports, as on every PC.
    public static let dataPort: UInt16 = 0x60
    public static let commandPort: UInt16 = 0x64
    /// Device bytes (keys, keyboard answers) beyond this are dropped.
    public static let outputCapacity = 16

    /// Bits of the status register (read at port 0x64).
    public enum Status {
        public static let outputFull: UInt8 = 0x01
        /// Never set: the controller takes every byte at once.
        public static let inputFull: UInt8 = 0x02
        /// A copy of the configuration byte's system flag ("POST passed").
        public static let systemFlag: UInt8 = 0x04
        /// The last write went to the command port rather than the data port.
        public static let lastWriteWasCommand: UInt8 = 0x08
        /// The keyboard is not inhibited by a key lock; always set.
        public static let notInhibited: UInt8 = 0x10
        /// The byte in the output buffer came from the aux (mouse) port.
        public static let auxData: UInt8 = 0x20
    }

    /// Bits of the controller configuration byte (the "CTR").
    public enum Config {
        public static let keyboardInterrupt: UInt8 = 0x01
        public static let auxInterrupt: UInt8 = 0x02
        public static let systemFlag: UInt8 = 0x04
        public static let keyboardDisabled: UInt8 = 0x10
        public static let auxDisabled: UInt8 = 0x20
        /// Keyboard bytes are translated from scan code set 2 to set 1.
        public static let translate: UInt8 = 0x40
    }

    /// Commands written to port 0x64.
    public enum Command {
        public static let readConfig: UInt8 = 0x20       // 0x21-0x3F read internal RAM
        public static let writeConfig: UInt8 = 0x60      // 0x61-0x7F write internal RAM
        public static let disableAux: UInt8 = 0xA7
        public static let enableAux: UInt8 = 0xA8
        public static let testAux: UInt8 = 0xA9
        public static let selfTest: UInt8 = 0xAA
        public static let testKeyboard: UInt8 = 0xAB
        public static let disableKeyboard: UInt8 = 0xAD
        public static let enableKeyboard: UInt8 = 0xAE
        public static let readOutputPort: UInt8 = 0xD0
        public static let writeOutputPort: UInt8 = 0xD1
        public static let writeKeyboardOutput: UInt8 = 0xD2
        public static let writeAuxOutput: UInt8 = 0xD3
        public static let writeAux: UInt8 = 0xD4
        /// Pulses the reset line (0xF0-0xFF pulse output lines; bit 0 clear is reset).
        public static let pulseReset: UInt8 = 0xFE
    }

    /// Answers of the controller's tests.
    public enum TestResult {
        public static let selfTestPassed: UInt8 = 0x55
        public static let interfaceOK: UInt8 = 0x00
    }

    /// Keyboard interrupt on, system flag set, aux port disabled, translation on:
    /// how a PC BIOS with no mouse leaves the controller.
    public static let defaultConfig: UInt8 =
        Config.keyboardInterrupt | Config.systemFlag | Config.auxDisabled | Config.translate
    /// Reset line high (not in reset) and A20 enabled.
    public static let defaultOutputPort: UInt8 = 0x03
    /// What the empty aux port answers to every byte sent to it.
    public static let noMouseReply: UInt8 = 0xFE

    /// A byte waiting in the output buffer and the port it came from.
    struct Output {
        let byte: UInt8
        let fromAux: Bool
    }

    private let keyboardInterrupt: any InterruptLine
    private let auxInterrupt: any InterruptLine

    /// The configuration byte (byte 0 of the internal RAM).
    public internal(set) var config: UInt8 = Self.defaultConfig
    /// The output port last written with `0xD1` (bit 0 reset line, bit 1 A20).
    public internal(set) var outputPort: UInt8 = Self.defaultOutputPort
    /// The keyboard attached to the first port.
    public internal(set) var keyboard = PS2Keyboard()

    /// Bytes 1-31 of the internal RAM (commands 0x21-0x3F and 0x61-0x7F); byte 0 is `config`.
    var ram = [UInt8](repeating: 0, count: 32)
    /// The controller's own answer, read before any device byte.
    var reply: Output?
    /// Bytes from the keyboard and the aux port, oldest first.
    var deviceOutput = Deque<Output>()
    /// A command written to port 0x64 that takes its parameter from port 0x60.
    var awaitingParameterFor: UInt8?
    var lastWriteWasCommand = false
    /// The byte last read from port 0x60, read again while the buffer is empty.
    var lastRead: UInt8 = 0
    /// The interrupt for the byte now at the front has been raised.
    var frontSignalled = false

    /// - Parameters:
    ///   - keyboardInterrupt: IRQ 1.
    ///   - auxInterrupt: IRQ 12. Linux's aux probe expects it; without it the probe
    ///     waits 250 ms and then decides there is no aux port.
    public init(
        keyboardInterrupt: any InterruptLine = DisconnectedInterruptLine(),
        auxInterrupt: any InterruptLine = DisconnectedInterruptLine()
    ) {
        self.keyboardInterrupt = keyboardInterrupt
        self.auxInterrupt = auxInterrupt
    }

    /// Bytes waiting to be read, counting those held back by a disabled port.
    public var pendingOutput: Int { deviceOutput.count + (reply == nil ? 0 : 1) }

    /// The status register (port 0x64).
    public func readStatus() -> UInt8 {
        var status = Status.notInhibited | (config & Config.systemFlag)
        if lastWriteWasCommand { status |= Status.lastWriteWasCommand }
        if let front = frontOutput() {
            status |= Status.outputFull
            if front.output.fromAux { status |= Status.auxData }
        }
        return status
    }

    /// The data register (port 0x60): takes the byte in the output buffer.
    public mutating func readData() -> UInt8 {
        guard let front = frontOutput() else { return lastRead }
        if let index = front.queueIndex {
            deviceOutput.remove(at: index)
        } else {
            reply = nil
        }
        lastRead = front.output.byte
        frontSignalled = false
        updateInterrupts()
        return front.output.byte
    }

    /// A write to the command register (port 0x64).
    public mutating func writeCommand(_ command: UInt8) -> BusAction {
        lastWriteWasCommand = true
        awaitingParameterFor = nil
        switch command {
        case Command.readConfig:
            answer(config)
        case 0x21...0x3F:
            answer(ram[Int(command & 0x1F)])
        case 0x60...0x7F, Command.writeOutputPort...Command.writeAux:
            awaitingParameterFor = command
        case Command.disableAux:
            config |= Config.auxDisabled
        case Command.enableAux:
            config &= ~Config.auxDisabled
        case Command.testAux, Command.testKeyboard:
            answer(TestResult.interfaceOK)
        case Command.selfTest:
            config |= Config.systemFlag
            answer(TestResult.selfTestPassed)
        case Command.disableKeyboard:
            config |= Config.keyboardDisabled
        case Command.enableKeyboard:
            config &= ~Config.keyboardDisabled
        case Command.readOutputPort:
            answer(outputPort)
        case 0xF0...0xFF where command & 0x01 == 0:
            return .reset
        default:
            break  // Password, A20 fast gate, test inputs and the like: ignored.
        }
        updateInterrupts()
        return .none
    }

    /// A write to the data register (port 0x60): a command's parameter, or a byte
    /// for the keyboard.
    public mutating func writeData(_ value: UInt8) -> BusAction {
        lastWriteWasCommand = false
        var action = BusAction.none
        if let command = awaitingParameterFor {
            awaitingParameterFor = nil
            action = parameter(value, for: command)
        } else {
            // Sending to the keyboard re-enables its port, and the keyboard drops
            // whatever it had not yet sent: every keyboard byte but the one already
            // in the controller's output register (the front).
            config &= ~Config.keyboardDisabled
            dropUnsentKeyboardBytes()
            let translating = config & Config.translate != 0
            for byte in keyboard.receive(value, translating: translating) {
                enqueue(Output(byte: byte, fromAux: false))
            }
        }
        updateInterrupts()
        return action
    }

    /// Queues Ctrl-Alt-Delete, pressed and released, as the keyboard would send it.
    ///
    /// The bytes are scan code set 1 while the configuration byte asks for
    /// translation (the default), set 2 otherwise, so the guest reads what a real
    /// keyboard behind this controller would produce. Returns false, queuing
    /// nothing, when the guest has stopped the keyboard scanning (`0xF5`) or the
    /// whole sequence does not fit in the buffer.
    @discardableResult
    public mutating func pressCtrlAltDelete() -> Bool {
        guard keyboard.isScanning else { return false }
        let sequence = config & Config.translate != 0
            ? PS2Keyboard.ctrlAltDeleteSet1 : PS2Keyboard.ctrlAltDeleteSet2
        guard Self.outputCapacity - deviceOutput.count >= sequence.count else { return false }
        for byte in sequence { enqueue(Output(byte: byte, fromAux: false)) }
        updateInterrupts()
        return true
    }

    /// Queues key presses and releases as the keyboard would send them, all or
    /// nothing.
    ///
    /// The bytes are scan code set 1 while the configuration byte's translate bit
    /// is on, set 2 otherwise. While the guest has disabled the keyboard port
    /// (`0xAD`) the bytes wait, as a real keyboard holds its keys while the
    /// controller inhibits its clock, and are delivered (with their interrupt)
    /// once the port is enabled again. The keyboard interrupt is raised as for
    /// any keyboard byte: one edge for the byte at the front, another after each
    /// read that leaves one waiting, only while the configuration byte enables it.
    ///
    /// - Throws: `.scanningDisabled` when the guest has stopped the keyboard
    ///   scanning (`0xF5`); `.outputFull` when the bytes do not all fit in the
    ///   output buffer (`outputCapacity`).
    public mutating func queueKeys(_ events: [KeyEvent]) throws(KeyboardInputError) {
        guard keyboard.isScanning else { throw .scanningDisabled }
        let bytes = KeyEvent.scanCodes(events, translated: config & Config.translate != 0)
        let free = Self.outputCapacity - deviceOutput.count
        guard bytes.count <= free else { throw .outputFull(needed: bytes.count, free: free) }
        for byte in bytes { enqueue(Output(byte: byte, fromAux: false)) }
        updateInterrupts()
    }

    /// Queues Ctrl-Alt-Delete pressed and released (`KeyEvent.ctrlAltDelete`),
    /// Firecracker's `SendCtrlAltDel`: Linux's keyboard driver then reboots.
    public mutating func sendCtrlAltDel() throws(KeyboardInputError) {
        try queueKeys(KeyEvent.ctrlAltDelete)
    }

    private mutating func parameter(_ value: UInt8, for command: UInt8) -> BusAction {
        switch command {
        case Command.writeConfig:
            config = value
        case 0x61...0x7F:
            ram[Int(command & 0x1F)] = value
        case Command.writeOutputPort:
            outputPort = value
            if value & 0x01 == 0 { return .reset }
        case Command.writeKeyboardOutput:
            reply = Output(byte: value, fromAux: false)
        case Command.writeAuxOutput:
            reply = Output(byte: value, fromAux: true)
        case Command.writeAux:
            config &= ~Config.auxDisabled
            enqueue(Output(byte: Self.noMouseReply, fromAux: true))
        default:
            break
        }
        return .none
    }

    private mutating func dropUnsentKeyboardBytes() {
        var sent: Int?
        if reply == nil, let front = frontOutput(), !front.output.fromAux { sent = front.queueIndex }
        var index = deviceOutput.count - 1
        while index >= 0 {
            if !deviceOutput[index].fromAux && index != sent { deviceOutput.remove(at: index) }
            index -= 1
        }
    }

    private mutating func answer(_ byte: UInt8) {
        reply = Output(byte: byte, fromAux: false)
    }

    private mutating func enqueue(_ output: Output) {
        guard deviceOutput.count < Self.outputCapacity else { return }
        deviceOutput.append(output)
    }

    /// The byte the guest would read now: the controller's answer, else the oldest
    /// device byte whose port is enabled. `queueIndex` is nil for the answer.
    private func frontOutput() -> (output: Output, queueIndex: Int?)? {
        if let reply { return (reply, nil) }
        let index = deviceOutput.firstIndex { output in
            let disabled = output.fromAux ? Config.auxDisabled : Config.keyboardDisabled
            return config & disabled == 0
        }
        guard let index else { return nil }
        return (deviceOutput[index], index)
    }

    /// Raises the front byte's interrupt once, if its port's interrupt is enabled.
    private mutating func updateInterrupts() {
        guard !frontSignalled, let front = frontOutput() else { return }
        if front.output.fromAux {
            guard config & Config.auxInterrupt != 0 else { return }
            frontSignalled = true
            auxInterrupt.trigger()
        } else {
            guard config & Config.keyboardInterrupt != 0 else { return }
            frontSignalled = true
            keyboardInterrupt.trigger()
        }
    }
}
