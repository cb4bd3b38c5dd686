import Memory

/// virtio-rng (device ID 4): fills each writable buffer from getrandom(2), at
/// most `maxBytesPerRequest` bytes per request so one request cannot keep the
/// I/O thread busy for long.
public final class VirtioRNG: VirtioDevice {
    /// Upper bound on the bytes given for one request.
    public static let maxBytesPerRequest: UInt64 = 64 * 1024

    public let deviceID: UInt32 = 4
    public let features: UInt64 = 0
    public let queueCount = 1
    public let maxQueueSize: UInt16 = 64

    public init() {}

    public func readConfig(at offset: Int) -> UInt8 { 0 }
    public func activate(features: UInt64) {}
    public func reset() {}

    public func process(queue: inout Virtqueue, index: Int, memory: GuestMemory) throws(VirtioError) -> Bool {
        while let chain = try queue.pop() {
            let ranges = chain.writable.slice(from: 0, length: Self.maxBytesPerRequest)
            var filled: UInt64 = 0
            for range in ranges {
                let buffer: UnsafeMutableRawBufferPointer
                do {
                    buffer = try memory.buffer(at: range.start, length: range.size)
                } catch {
                    throw .memory(error)
                }
                let count = HostCalls.fillRandom(buffer)
                filled += UInt64(count)
                if count < buffer.count { break }
            }
            try queue.addUsed(head: chain.head, length: UInt32(filled))
        }
        return try queue.needsInterrupt()
    }
}
