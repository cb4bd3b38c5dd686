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

/// Serial output collected in memory (for tests and the library API).
public final class CapturedSerialOutput: SerialOutput {
    private let bytes = Mutex<[UInt8]>([])

    public init() {}

    public func write(byte: UInt8) {
        bytes.withLock { $0.append(byte) }
    }

    public var data: [UInt8] { bytes.withLock { $0 } }
    public var text: String { String(decoding: data, as: UTF8.self) }
}
