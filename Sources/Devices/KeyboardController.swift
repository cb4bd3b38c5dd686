import Synchronization

/// An `I8042` on a bus, the state machine behind a mutex.
///
/// The controller owns two single-byte ports that are not adjacent, so it is put on
/// the bus as two devices: `dataPort` at 0x60 and `commandPort` at 0x64, each of
/// size 1. Ports 0x61-0x63 stay free; 0x61 is the PC speaker and NMI status port,
/// which belongs to the PIT, not to this controller. Bytes of a wider access beyond
/// the port read as 0xFF, as from an empty bus.
public final class KeyboardController: Sendable {
    /// One of the controller's two ports, as a bus device.
    public final class Port: BusDevice {
        private let controller: KeyboardController
        private let isCommandPort: Bool

        fileprivate init(controller: KeyboardController, isCommandPort: Bool) {
            self.controller = controller
            self.isCommandPort = isCommandPort
        }

        public func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
            let value = controller.state.withLock { i8042 in
                isCommandPort ? i8042.readStatus() : i8042.readData()
            }
            data.storeLittleEndian(0xFFFF_FFFF_FFFF_FF00 | UInt64(value))
        }

        /// Returns `.reset` when the guest pulses the CPU reset line.
        public func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction {
            guard let value = data.first else { return .none }
            return controller.state.withLock { i8042 in
                isCommandPort ? i8042.writeCommand(value) : i8042.writeData(value)
            }
        }
    }

    let state: Mutex<I8042>

    /// - Parameters:
    ///   - keyboardInterrupt: IRQ 1.
    ///   - auxInterrupt: IRQ 12 (see `I8042.init`).
    public init(
        keyboardInterrupt: any InterruptLine = DisconnectedInterruptLine(),
        auxInterrupt: any InterruptLine = DisconnectedInterruptLine()
    ) {
        state = Mutex(I8042(keyboardInterrupt: keyboardInterrupt, auxInterrupt: auxInterrupt))
    }

    /// The data port; register it at `I8042.dataPort` (0x60) with size 1.
    public var dataPort: Port { Port(controller: self, isCommandPort: false) }
    /// The status/command port; register it at `I8042.commandPort` (0x64) with size 1.
    public var commandPort: Port { Port(controller: self, isCommandPort: true) }

    /// Queues Ctrl-Alt-Delete for the guest (see `I8042.pressCtrlAltDelete()`).
    @discardableResult
    public func pressCtrlAltDelete() -> Bool {
        state.withLock { $0.pressCtrlAltDelete() }
    }

    /// Queues key presses and releases for the guest (see `I8042.queueKeys(_:)`).
    public func queueKeys(_ events: [KeyEvent]) throws(KeyboardInputError) {
        try state.withLock { (i8042: inout I8042) throws(KeyboardInputError) in try i8042.queueKeys(events) }
    }

    /// Queues Ctrl-Alt-Delete pressed and released (see `I8042.sendCtrlAltDel()`).
    public func sendCtrlAltDel() throws(KeyboardInputError) {
        try queueKeys(KeyEvent.ctrlAltDelete)
    }
}
