#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The Firecracker-compatible API: HTTP/1.1 on a Unix socket, answered by an `APIController`.
///
/// One event-loop thread reads and writes; one worker thread runs the requests in order,
/// so a blocking driver call (building a VM, writing a snapshot) never stalls the loop and
/// requests never overlap.
public final class APIServer: Sendable {
    /// Firecracker's default request body limit (`--http-api-max-payload-size`).
    public static let defaultMaxBodySize = 51_200

    public let socketPath: String
    public let maxBodySize: Int
    private let controller: APIController
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let worker: NIOThreadPool
    private let state = Mutex<ServerState>(.idle)

    private enum ServerState {
        case idle
        case listening(any Channel)
        case closed(any Channel)

        var channel: (any Channel)? {
            switch self {
            case .idle: return nil
            case .listening(let channel), .closed(let channel): return channel
            }
        }
    }

    public init(
        socketPath: String, controller: APIController, maxBodySize: Int = APIServer.defaultMaxBodySize,
        logger: Logger = Logger(label: "swift-vmm.api")
    ) {
        self.socketPath = socketPath
        self.controller = controller
        self.maxBodySize = maxBodySize
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.worker = NIOThreadPool(numberOfThreads: 1)
    }

    /// Binds the socket and returns once it is listening.
    public func start() throws(APIServerError) {
        guard state.withLock({ $0.channel == nil }) else { throw .alreadyStarted }
        try UnixSocketPath.prepare(socketPath)
        worker.start()
        let controller = self.controller
        let worker = self.worker
        let maxBodySize = self.maxBodySize
        let logger = self.logger
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        APIHTTPHandler(controller: controller, worker: worker, maxBodySize: maxBodySize, logger: logger)
                    )
                }
            }
        do {
            let bound = try bootstrap.bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: false).wait()
            state.withLock { $0 = .listening(bound) }
        } catch {
            shutDownThreads()
            throw .bindFailed(path: socketPath, reason: String(describing: error))
        }
        logger.debug("API listening on \(socketPath)")
    }

    /// Stops listening, closes every connection, stops the threads and removes the socket.
    /// Call it from outside the server's threads (not from a driver call).
    public func close() {
        let listening: (any Channel)? = state.withLock { state in
            guard case .listening(let channel) = state else { return nil }
            state = .closed(channel)
            return channel
        }
        guard let bound = listening else { return }
        try? bound.close().wait()
        shutDownThreads()
        unlink(socketPath)
    }

    /// Blocks until `close()` has closed the listening socket (returns at once if the
    /// server never started).
    public func waitUntilClosed() {
        guard let bound = state.withLock({ $0.channel }) else { return }
        try? bound.closeFuture.wait()
    }

    private func shutDownThreads() {
        try? worker.syncShutdownGracefully()
        try? group.syncShutdownGracefully()
    }
}
