import Devices
import Memory
import Synchronization

/// virtio-console (device ID 3) with one port and no multiport support.
///
/// Queue 0 (receiveq) carries host input to the guest: `receive(_:)` buffers it
/// (up to `inputCapacity` bytes) and it is delivered as soon as the driver has
/// buffers. Queue 1 (transmitq) carries guest output to a `SerialOutput`.
public final class VirtioConsole: VirtioDevice {
    public static let receiveQueue = 0
    public static let transmitQueue = 1
    /// Input bytes held while the guest has no receive buffers.
    public static let inputCapacity = 64 * 1024

    public let deviceID: UInt32 = 3
    public let features: UInt64 = 0
    public let queueCount = 2
    public let maxQueueSize: UInt16 = 64

    private let output: any SerialOutput
    let state = Mutex<State>(State())

    struct State {
        var pending: [UInt8] = []
        var wakeUp: (@Sendable (Int) -> Void)?
    }

    public init(output: any SerialOutput) {
        self.output = output
    }

    /// Queues host input for the guest; returns how many bytes were taken (the
    /// rest does not fit in `inputCapacity`).
    @discardableResult
    public func receive(_ bytes: [UInt8]) -> Int {
        let (taken, wakeUp) = state.withLock { state in
            let taken = min(bytes.count, Self.inputCapacity - state.pending.count)
            state.pending += bytes.prefix(taken)
            return (taken, state.wakeUp)
        }
        if taken > 0 { wakeUp?(Self.receiveQueue) }
        return taken
    }

    /// Input bytes not yet delivered.
    public var pendingInput: Int { state.withLock { $0.pending.count } }

    public func readConfig(at offset: Int) -> UInt8 { 0 }  // cols, rows, max_nr_ports: unused
    public func activate(features: UInt64) {}
    public func reset() {}

    public func setWakeUp(_ wakeUp: @escaping @Sendable (Int) -> Void) {
        state.withLock { $0.wakeUp = wakeUp }
    }

    public func process(queue: inout Virtqueue, index: Int, memory: GuestMemory) throws(VirtioError) -> Bool {
        switch index {
        case Self.receiveQueue: try deliverInput(queue: &queue, memory: memory)
        case Self.transmitQueue: try transmit(queue: &queue, memory: memory)
        default: return false
        }
        return try queue.needsInterrupt()
    }

    private func deliverInput(queue: inout Virtqueue, memory: GuestMemory) throws(VirtioError) {
        while pendingInput > 0, let chain = try queue.pop() {
            let room = Int(min(chain.writableLength, UInt64(Self.inputCapacity)))
            let bytes = state.withLock { state in
                let bytes = Array(state.pending.prefix(room))
                state.pending.removeFirst(bytes.count)
                return bytes
            }
            let count = try chain.writable.scatter(bytes[...], into: memory)
            try queue.addUsed(head: chain.head, length: UInt32(count))
        }
    }

    private func transmit(queue: inout Virtqueue, memory: GuestMemory) throws(VirtioError) {
        while let chain = try queue.pop() {
            for range in chain.readable {
                let buffer: UnsafeMutableRawBufferPointer
                do {
                    buffer = try memory.buffer(at: range.start, length: range.size)
                } catch {
                    throw .memory(error)
                }
                for byte in buffer { output.write(byte: byte) }
            }
            try queue.addUsed(head: chain.head, length: 0)
        }
    }
}
