/// QEMU's `isa-debug-exit`: a guest write of V ends the VM, and the VMM process
/// exits with status `(V << 1) | 1`, so a guest can report a result that can never
/// be confused with a clean exit 0.
public final class DebugExit: BusDevice {
    /// The conventional port and width used with QEMU (`iobase=0xf4,iosize=4`).
    public static let defaultPort: UInt16 = 0xF4
    public static let defaultSize: UInt64 = 4

    public init() {}

    /// The exit status for a written value, as QEMU computes it.
    public static func status(forWrittenValue value: UInt64) -> Int32 {
        Int32(truncatingIfNeeded: (value << 1) | 1)
    }

    public func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
        data.storeLittleEndian(0)
    }

    public func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction {
        .exit(status: Self.status(forWrittenValue: data.littleEndianValue))
    }
}
