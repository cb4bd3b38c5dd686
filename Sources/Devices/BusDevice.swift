/// What a device asks of the machine after a register access.
public enum BusAction: Sendable, Equatable {
    /// Nothing: carry on.
    case none
    /// End the VM; the VMM process exits with `status` (QEMU's isa-debug-exit).
    case exit(status: Int32)
    /// The guest asked for a power-off.
    case shutdown
    /// The guest asked for a reset.
    case reset
}

/// A device on a port I/O or MMIO bus.
///
/// A device sees only offsets from its own base and byte buffers; it knows nothing
/// of KVM or of where it sits. Accesses from several vCPU threads may arrive at
/// once, so a device protects its own state.
public protocol BusDevice: AnyObject, Sendable {
    /// Fills `data` (1, 2, 4 or 8 bytes) with the value read at `offset`.
    func read(offset: UInt64, data: UnsafeMutableRawBufferPointer)
    /// Handles a write of `data` at `offset`.
    func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction
}

/// Receives a device's interrupt requests.
public protocol InterruptLine: Sendable {
    /// Raises the interrupt (edge): the device has a new event.
    func trigger()
}

/// An interrupt line wired to nothing, for machines without an interrupt controller.
public struct DisconnectedInterruptLine: InterruptLine {
    public init() {}
    public func trigger() {}
}

extension UnsafeRawBufferPointer {
    /// The bytes as a little-endian integer (up to 8 bytes; missing high bytes are zero).
    @inlinable
    public var littleEndianValue: UInt64 {
        var value: UInt64 = 0
        for (i, byte) in self.prefix(8).enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        return value
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores the low bytes of `value`, little-endian, filling the buffer.
    @inlinable
    public func storeLittleEndian(_ value: UInt64) {
        for i in 0..<Swift.min(count, 8) { self[i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }
}
