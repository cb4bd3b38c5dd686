/// The FADT's RESET_REG: a one-byte I/O register; writing the FADT's RESET_VALUE
/// resets the machine (Linux's `reboot=acpi`, its first choice when the FADT sets
/// RESET_REG_SUP). Other values are ignored; reads return 0.
public final class ResetRegister: BusDevice {
    public let resetValue: UInt8

    public init(resetValue: UInt8) {
        self.resetValue = resetValue
    }

    /// What a write of `value` (its low byte) at `offset` does.
    public func action(offset: UInt64, value: UInt64) -> BusAction {
        offset == 0 && UInt8(truncatingIfNeeded: value) == resetValue ? .reset : .none
    }

    public func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
        data.storeLittleEndian(0)
    }

    public func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction {
        action(offset: offset, value: data.littleEndianValue)
    }
}
