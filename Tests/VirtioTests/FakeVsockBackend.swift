import Synchronization
import Virtio

/// Opens a `FakeVsockStream` for each guest connection, except to refused ports.
final class FakeVsockBackend: VsockBackend {
    struct Refused: Error, CustomStringConvertible {
        let port: UInt32
        var description: String { "nobody listens on port \(port)" }
    }

    private let state = Mutex<(streams: [UInt32: FakeVsockStream], refused: Set<UInt32>, next: UInt64)>(
        ([:], [], 100))

    func refuse(_ port: UInt32) { state.withLock { _ = $0.refused.insert(port) } }
    /// The stream opened for host port `port`, if any.
    func stream(_ port: UInt32) -> FakeVsockStream? { state.withLock { $0.streams[port] } }
    var connectedPorts: [UInt32] { state.withLock { $0.streams.keys.sorted() } }

    func connect(toHostPort port: UInt32) throws -> any VsockHostStream {
        try state.withLock { state in
            guard !state.refused.contains(port) else { throw Refused(port: port) }
            let stream = FakeVsockStream(token: state.next)
            state.next += 1
            state.streams[port] = stream
            return stream
        }
    }
}
