import Synchronization
import Virtio

/// A host stream in memory: bytes queued for the device to read, what the
/// device wrote, and how much more it may write before it would block.
final class FakeVsockStream: VsockHostStream {
    let token: UInt64
    private let state = Mutex(State())

    struct State {
        var incoming: [UInt8] = []
        var ended = false
        var written: [UInt8] = []
        /// Bytes accepted before writes would block (nil: unlimited).
        var writeRoom: Int? = nil
        var reads = 0
        var closed = false
        var writeShut = false
    }

    init(token: UInt64) {
        self.token = token
    }

    /// Host bytes for the guest.
    func feed(_ bytes: [UInt8]) { state.withLock { $0.incoming += bytes } }
    /// The host closes its end for writing (the device reads end of file).
    func end() { state.withLock { $0.ended = true } }
    func setWriteRoom(_ room: Int?) { state.withLock { $0.writeRoom = room } }

    var written: [UInt8] { state.withLock { $0.written } }
    var unread: Int { state.withLock { $0.incoming.count } }
    var reads: Int { state.withLock { $0.reads } }
    var isClosed: Bool { state.withLock { $0.closed } }
    var isWriteShut: Bool { state.withLock { $0.writeShut } }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> VsockStreamResult {
        state.withLock { state in
            state.reads += 1
            guard !state.incoming.isEmpty else { return state.ended ? .closed : .wouldBlock }
            let count = min(buffer.count, state.incoming.count)
            buffer.copyBytes(from: state.incoming.prefix(count))
            state.incoming.removeFirst(count)
            return .transferred(count)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> VsockStreamResult {
        state.withLock { state in
            let count = min(bytes.count, state.writeRoom ?? bytes.count)
            guard count > 0 else { return .wouldBlock }
            state.written += bytes.prefix(count)
            if let room = state.writeRoom { state.writeRoom = room - count }
            return .transferred(count)
        }
    }

    func shutdownWrite() { state.withLock { $0.writeShut = true } }
    func close() { state.withLock { $0.closed = true } }
}
