import Synchronization

/// The POST code port (0x80): firmware writes progress codes here, and Linux writes
/// to it as an I/O delay (`outb_p`).
///
/// Writes are kept: the last value is readable for diagnostics, and a guest read
/// returns it, or 0xFF before any write. (QEMU's PC machine drops the writes and
/// always reads all ones; on Intel chipsets port 0x80 is a read/write DMA page
/// register, so returning the last value is what hardware does.)
public struct POSTCode {
    public static let port: UInt16 = 0x80
    public static let portCount: UInt64 = 1

    /// The last value written, or nil before the first write.
    public private(set) var lastValue: UInt8?
    /// Writes seen, for telling a busy I/O-delay loop from a firmware's progress codes.
    public private(set) var writeCount = 0

    public init() {}

    /// A guest read: the last value, or 0xFF before any write.
    public func read() -> UInt8 {
        lastValue ?? 0xFF
    }

    /// A guest write.
    public mutating func write(_ value: UInt8) {
        lastValue = value
        writeCount &+= 1
    }
}

/// A `POSTCode` on a bus: register it at `POSTCode.port` (0x80) with size 1.
/// Bytes of a wider read beyond the port read as 0xFF.
public final class POSTCodePort: BusDevice {
    private let state = Mutex(POSTCode())

    public init() {}

    /// The last value written, or nil before the first write.
    public var lastValue: UInt8? { state.withLock { $0.lastValue } }
    /// The number of writes so far.
    public var writeCount: Int { state.withLock { $0.writeCount } }

    public func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
        let value = state.withLock { $0.read() }
        data.storeLittleEndian(0xFFFF_FFFF_FFFF_FF00 | UInt64(value))
    }

    public func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction {
        guard let value = data.first else { return .none }
        state.withLock { $0.write(value) }
        return .none
    }
}
