import Foundation
import Synchronization

/// A listening socket whose connections are echoed back byte for byte, each on
/// its own thread, until the peer closes.
final class EchoServer: Sendable {
    private let listener: SocketPeer
    private let counts = Mutex<(connections: Int, bytes: Int)>((0, 0))

    init(listening listener: SocketPeer) {
        self.listener = listener
        Thread.detachNewThread { [self] in
            while let client = try? listener.accept() {
                counts.withLock { $0.connections += 1 }
                Thread.detachNewThread { [self] in echo(client) }
            }
        }
    }

    /// Connections accepted, and bytes echoed over all of them.
    var connections: Int { counts.withLock { $0.connections } }
    var echoedBytes: Int { counts.withLock { $0.bytes } }

    private func echo(_ client: SocketPeer) {
        while let bytes = try? client.read(count: 1), !bytes.isEmpty {
            guard (try? client.write(bytes)) != nil else { break }
            counts.withLock { $0.bytes += bytes.count }
        }
        client.close()
    }

    /// Stops accepting (the listening socket is shut down).
    func stop() {
        shutdown(listener.fd, Int32(SHUT_RDWR))
    }
}
