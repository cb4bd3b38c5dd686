/// The 44-byte little-endian header in front of every virtio-vsock packet
/// (virtio 1.2 section 5.10.6).
public struct VsockHeader: Equatable, Sendable {
    /// Bytes the header occupies on the wire.
    public static let size = 44
    /// The only socket type supported: a stream.
    public static let typeStream: UInt16 = 1
    /// SHUTDOWN flags: the sender will receive no more data / send no more data.
    public static let shutdownReceive: UInt32 = 1
    public static let shutdownSend: UInt32 = 2
    public static let shutdownBoth: UInt32 = shutdownReceive | shutdownSend

    public var sourceCID: UInt64
    public var destinationCID: UInt64
    public var sourcePort: UInt32
    public var destinationPort: UInt32
    /// Payload bytes after the header.
    public var length: UInt32
    public var type: UInt16
    /// The raw op field; `operation` is nil for a value the spec does not define.
    public var op: UInt16
    public var flags: UInt32
    /// The sender's receive buffer size for this connection.
    public var bufferAllocation: UInt32
    /// Payload bytes the sender has consumed from this connection so far (mod 2^32).
    public var forwardCount: UInt32

    public init(
        sourceCID: UInt64, destinationCID: UInt64, sourcePort: UInt32, destinationPort: UInt32,
        length: UInt32 = 0, type: UInt16 = VsockHeader.typeStream, operation: VsockOperation,
        flags: UInt32 = 0, bufferAllocation: UInt32 = 0, forwardCount: UInt32 = 0
    ) {
        self.sourceCID = sourceCID
        self.destinationCID = destinationCID
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.length = length
        self.type = type
        self.op = operation.rawValue
        self.flags = flags
        self.bufferAllocation = bufferAllocation
        self.forwardCount = forwardCount
    }

    /// Parses the first 44 bytes of `bytes`; nil when there are fewer.
    public init?(bytes: [UInt8]) {
        guard bytes.count >= Self.size else { return nil }
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            var value: T = 0
            for index in 0..<MemoryLayout<T>.size {
                value |= T(bytes[offset + index]) << (8 * index)
            }
            return value
        }
        sourceCID = field(0, UInt64.self)
        destinationCID = field(8, UInt64.self)
        sourcePort = field(16, UInt32.self)
        destinationPort = field(20, UInt32.self)
        length = field(24, UInt32.self)
        type = field(28, UInt16.self)
        op = field(30, UInt16.self)
        flags = field(32, UInt32.self)
        bufferAllocation = field(36, UInt32.self)
        forwardCount = field(40, UInt32.self)
    }

    /// The operation, or nil when `op` is not one the spec defines.
    public var operation: VsockOperation? { VsockOperation(rawValue: op) }

    /// The 44 wire bytes.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.size)
        func put<T: FixedWidthInteger>(_ value: T) {
            for index in 0..<MemoryLayout<T>.size {
                bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index)))
            }
        }
        put(sourceCID)
        put(destinationCID)
        put(sourcePort)
        put(destinationPort)
        put(length)
        put(type)
        put(op)
        put(flags)
        put(bufferAllocation)
        put(forwardCount)
        return bytes
    }
}
