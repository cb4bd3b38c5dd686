import Devices
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Serial output written straight to a file descriptor, one byte per write(2):
/// the guest already paid a VM exit for the byte, and nothing is held back if
/// the VM dies.
public struct FileSerialOutput: SerialOutput {
    public static let standardOutput = FileSerialOutput(descriptor: 1)
    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }

    public func write(byte: UInt8) {
        var value = byte
        while Glibc.write(descriptor, &value, 1) < 0 && errno == EINTR {}
    }
}

/// Serial output collected in memory (for tests and the library API), at most
/// `limit` bytes (default 64 MiB): a guest that prints forever cannot grow the
/// VMM without bound; later bytes are dropped and counted.
public final class CapturedSerialOutput: SerialOutput {
    private let bytes = Mutex<[UInt8]>([])
    private let dropped = Mutex<UInt64>(0)
    /// Bytes kept at most.
    public let limit: Int

    public init(limit: Int = 64 << 20) {
        self.limit = max(limit, 0)
    }

    public func write(byte: UInt8) {
        let kept = bytes.withLock { bytes in
            guard bytes.count < limit else { return false }
            bytes.append(byte)
            return true
        }
        if !kept { dropped.withLock { $0 += 1 } }
    }

    /// Bytes dropped because `limit` was reached.
    public var droppedBytes: UInt64 { dropped.withLock { $0 } }

    public var data: [UInt8] { bytes.withLock { $0 } }
    public var text: String { String(decoding: data, as: UTF8.self) }
}
