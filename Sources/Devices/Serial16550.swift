import DequeModule

/// Where a UART's transmitted bytes go.
public protocol SerialOutput: Sendable {
    func write(byte: UInt8)
}

/// A 16550A UART as a register-level state machine.
///
/// It knows its eight registers and nothing else: transmitted bytes go to an
/// output, interrupts to a line, and received bytes are queued by `receive(_:)`.
/// The transmitter is infinitely fast, so the line status always reports the
/// holding register empty; polling drivers never wait.
public struct Serial16550 {
    /// Register offsets from the base port.
    public enum Register {
        public static let data: UInt8 = 0           // RBR (read) / THR (write) / DLL (DLAB=1)
        public static let interruptEnable: UInt8 = 1  // IER / DLM (DLAB=1)
        public static let interruptID: UInt8 = 2    // IIR (read) / FCR (write)
        public static let lineControl: UInt8 = 3
        public static let modemControl: UInt8 = 4
        public static let lineStatus: UInt8 = 5
        public static let modemStatus: UInt8 = 6
        public static let scratch: UInt8 = 7
    }

    public enum LineStatus {
        public static let dataReady: UInt8 = 0x01
        public static let overrun: UInt8 = 0x02
        public static let transmitterHoldingEmpty: UInt8 = 0x20
        public static let transmitterEmpty: UInt8 = 0x40
    }

    public enum InterruptEnable {
        public static let receivedData: UInt8 = 0x01
        public static let transmitterEmpty: UInt8 = 0x02
    }

    public enum InterruptID {
        public static let none: UInt8 = 0x01
        public static let transmitterEmpty: UInt8 = 0x02
        public static let receivedData: UInt8 = 0x04
        public static let fifoEnabled: UInt8 = 0xC0
    }

    /// The COM1 port base and register count.
    public static let com1: UInt16 = 0x3F8
    public static let registerCount: UInt64 = 8
    /// Received bytes beyond this are dropped and flagged as an overrun.
    public static let inputCapacity = 64

    private let output: any SerialOutput
    private let interrupt: any InterruptLine

    var divisorLow: UInt8 = 0x0C   // 9600 baud
    var divisorHigh: UInt8 = 0
    var interruptEnable: UInt8 = 0
    var lineControl: UInt8 = 0x03  // 8N1
    var modemControl: UInt8 = 0x08 // OUT2
    var scratch: UInt8 = 0
    var fifoEnabled = false
    var overrun = false
    /// A transmitter-empty interrupt is owed: set when THR empties with the
    /// interrupt enabled, cleared by reading IIR or writing THR.
    var transmitterInterruptPending = false
    var input = Deque<UInt8>()

    public init(output: any SerialOutput, interrupt: any InterruptLine = DisconnectedInterruptLine()) {
        self.output = output
        self.interrupt = interrupt
    }

    var divisorLatchAccess: Bool { lineControl & 0x80 != 0 }
    var loopback: Bool { modemControl & 0x10 != 0 }

    /// Bytes waiting to be read by the guest.
    public var pendingInput: Int { input.count }

    /// Reads register `offset` (0-7).
    public mutating func read(_ offset: UInt8) -> UInt8 {
        switch offset {
        case Register.data:
            if divisorLatchAccess { return divisorLow }
            let byte = input.popFirst() ?? 0
            if !input.isEmpty { raiseIfEnabled(InterruptEnable.receivedData) }
            return byte
        case Register.interruptEnable:
            return divisorLatchAccess ? divisorHigh : interruptEnable
        case Register.interruptID:
            let id = currentInterruptID()
            if id == InterruptID.transmitterEmpty { transmitterInterruptPending = false }
            return id | (fifoEnabled ? InterruptID.fifoEnabled : 0)
        case Register.lineControl:
            return lineControl
        case Register.modemControl:
            return modemControl
        case Register.lineStatus:
            var status = LineStatus.transmitterHoldingEmpty | LineStatus.transmitterEmpty
            if !input.isEmpty { status |= LineStatus.dataReady }
            if overrun { status |= LineStatus.overrun; overrun = false }
            return status
        case Register.modemStatus:
            return modemStatus()
        case Register.scratch:
            return scratch
        default:
            return 0xFF
        }
    }

    /// Writes `value` to register `offset` (0-7).
    public mutating func write(_ offset: UInt8, _ value: UInt8) {
        switch offset {
        case Register.data:
            if divisorLatchAccess { divisorLow = value; return }
            if loopback {
                enqueue(value)
            } else {
                output.write(byte: value)
            }
            transmitterInterruptPending = false
            // The byte leaves at once, so the holding register is empty again.
            raiseIfEnabled(InterruptEnable.transmitterEmpty)
        case Register.interruptEnable:
            if divisorLatchAccess { divisorHigh = value; return }
            let newlyEnabled = value & ~interruptEnable
            interruptEnable = value & 0x0F
            // Enabling the THR-empty interrupt while THR is empty raises it at once.
            if newlyEnabled & InterruptEnable.transmitterEmpty != 0 {
                raiseIfEnabled(InterruptEnable.transmitterEmpty)
            }
            if newlyEnabled & InterruptEnable.receivedData != 0 && !input.isEmpty {
                raiseIfEnabled(InterruptEnable.receivedData)
            }
        case Register.interruptID:
            fifoEnabled = value & 0x01 != 0
            if value & 0x02 != 0 { input.removeAll() }
        case Register.lineControl:
            lineControl = value
        case Register.modemControl:
            modemControl = value & 0x1F
        case Register.scratch:
            scratch = value
        default:
            break  // LSR and MSR are read-only.
        }
    }

    /// Queues bytes from the outside world for the guest to read.
    public mutating func receive(_ bytes: some Sequence<UInt8>) {
        for byte in bytes where !loopback { enqueue(byte) }
    }

    /// Takes bytes from the outside world only while the receive FIFO has room, so a
    /// producer that can wait (a terminal, a pipe) loses nothing. Returns how many
    /// bytes were taken; in loopback mode all are taken and dropped.
    public mutating func accept(_ bytes: some Collection<UInt8>) -> Int {
        if loopback { return bytes.count }
        let count = Swift.min(bytes.count, Self.inputCapacity - input.count)
        for byte in bytes.prefix(count) { enqueue(byte) }
        return count
    }

    private mutating func enqueue(_ byte: UInt8) {
        guard input.count < Self.inputCapacity else {
            overrun = true
            return
        }
        input.append(byte)
        raiseIfEnabled(InterruptEnable.receivedData)
    }

    private mutating func raiseIfEnabled(_ source: UInt8) {
        guard interruptEnable & source != 0 else { return }
        if source == InterruptEnable.transmitterEmpty { transmitterInterruptPending = true }
        interrupt.trigger()
    }

    private func currentInterruptID() -> UInt8 {
        if interruptEnable & InterruptEnable.receivedData != 0 && !input.isEmpty {
            return InterruptID.receivedData
        }
        if interruptEnable & InterruptEnable.transmitterEmpty != 0 && transmitterInterruptPending {
            return InterruptID.transmitterEmpty
        }
        return InterruptID.none
    }

    private func modemStatus() -> UInt8 {
        guard loopback else {
            return 0xB0  // DCD, DSR, CTS: a cable with a host that is always ready.
        }
        // In loopback, the modem control outputs appear on the status inputs.
        var status: UInt8 = 0
        if modemControl & 0x02 != 0 { status |= 0x10 }  // RTS -> CTS
        if modemControl & 0x01 != 0 { status |= 0x20 }  // DTR -> DSR
        if modemControl & 0x04 != 0 { status |= 0x40 }  // OUT1 -> RI
        if modemControl & 0x08 != 0 { status |= 0x80 }  // OUT2 -> DCD
        return status
    }
}
