import Memory
import Synchronization
import Virtio

/// A device that completes every chain with length 7 and records what the
/// transport asked of it.
final class RecordingDevice: VirtioDevice {
    struct Record {
        var processed: [Int] = []
        var activatedWith: [UInt64] = []
        var resets = 0
        var configWrites: [Int: UInt8] = [:]
    }

    let record = Mutex(Record())
    let deviceID: UInt32 = 42
    /// Bit 0 (device-specific) and bit 30 (a reserved transport bit, which must be dropped).
    let features: UInt64 = 1 | 1 << 30
    let queueCount = 2
    let maxQueueSize: UInt16 = 64
    let configGeneration: UInt32 = 5

    func readConfig(at offset: Int) -> UInt8 { offset < 16 ? UInt8(0x10 + offset) : 0 }
    func writeConfig(at offset: Int, value: UInt8) { record.withLock { $0.configWrites[offset] = value } }
    func activate(features: UInt64) { record.withLock { $0.activatedWith.append(features) } }
    func reset() { record.withLock { $0.resets += 1 } }

    func process(queue: inout Virtqueue, index: Int, memory: GuestMemory) throws(VirtioError) -> Bool {
        record.withLock { $0.processed.append(index) }
        while let chain = try queue.pop() {
            try queue.addUsed(head: chain.head, length: 7)
        }
        return try queue.needsInterrupt()
    }
}
