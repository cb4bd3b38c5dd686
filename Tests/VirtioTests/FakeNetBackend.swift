import Synchronization
import Virtio

/// A back end whose input is a list of frames the test queues, and which
/// records what the device sends.
final class FakeNetBackend: NetBackend {
    private struct State {
        var inbound: [[UInt8]] = []
        var sent: [[UInt8]] = []
        var receiveCalls = 0
        var readError: Int32?
        var sendResult = NetSendResult.sent
    }

    private let state = Mutex(State())

    /// Frames waiting to be read.
    var waiting: Int { state.withLock { $0.inbound.count } }
    /// Frames the device sent, in order.
    var sent: [[UInt8]] { state.withLock { $0.sent } }
    /// Calls of `receive(into:)` so far.
    var receiveCalls: Int { state.withLock { $0.receiveCalls } }

    func queue(_ frame: [UInt8]) { state.withLock { $0.inbound.append(frame) } }
    func failReads(errno: Int32?) { state.withLock { $0.readError = errno } }
    func answerSends(_ result: NetSendResult) { state.withLock { $0.sendResult = result } }

    func receive(into buffer: UnsafeMutableRawBufferPointer) -> NetReceiveResult {
        state.withLock { state in
            state.receiveCalls += 1
            if let error = state.readError { return .failed(error) }
            guard !state.inbound.isEmpty else { return .wouldBlock }
            let frame = state.inbound.removeFirst()
            let count = min(frame.count, buffer.count)
            for index in 0..<count { buffer[index] = frame[index] }
            return .frame(count)
        }
    }

    func send(_ frame: UnsafeRawBufferPointer) -> NetSendResult {
        state.withLock { state in
            if state.sendResult == .sent { state.sent.append(Array(frame)) }
            return state.sendResult
        }
    }
}
