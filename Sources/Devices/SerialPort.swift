import Synchronization

/// A `Serial16550` on a bus: byte-wide register accesses at offsets 0-7, the
/// state machine behind a mutex because several vCPUs may touch it.
public final class SerialPort: BusDevice {
    let uart: Mutex<Serial16550>

    public init(output: any SerialOutput, interrupt: any InterruptLine = DisconnectedInterruptLine()) {
        uart = Mutex(Serial16550(output: output, interrupt: interrupt))
    }

    public func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
        guard data.count > 0 else { return }
        let register = UInt8(truncatingIfNeeded: offset)
        let value = uart.withLock { $0.read(register) }
        data.storeLittleEndian(UInt64(value))
    }

    public func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction {
        guard let value = data.first else { return .none }
        let register = UInt8(truncatingIfNeeded: offset)
        uart.withLock { $0.write(register, value) }
        return .none
    }

    /// Queues as much of `bytes` as the receive FIFO has room for; returns the count taken.
    public func accept(_ bytes: ArraySlice<UInt8>) -> Int {
        uart.withLock { $0.accept(bytes) }
    }

    /// Queues input for the guest.
    public func receive(_ bytes: [UInt8]) {
        uart.withLock { $0.receive(bytes) }
    }
}
