#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Seccomp
import Synchronization

/// The Firecracker-compatible API: HTTP/1.1 on a Unix socket, answered by an `APIController`.
///
/// One event-loop thread reads and writes; one worker thread runs the requests in order,
/// so a blocking driver call (building a VM, writing a snapshot) never stalls the loop and
/// requests never overlap. Threads are created by `start()`, not by `init`.
public final class APIServer: Sendable {
    /// Firecracker's default request body limit (`--http-api-max-payload-size`).
    public static let defaultMaxBodySize = 51_200

    public let socketPath: String
    public let maxBodySize: Int
    /// The action of the seccomp filters on the server's threads (nil: none).
    public let seccomp: SeccompAction?
    private let controller: APIController
    private let logger: Logger
    private let state = Mutex<ServerState>(.idle)
    /// Entered by a successful `start()`, left when `close()` has finished.
    private let running = DispatchGroup()

    private enum ServerState {
        case idle
        case listening(Running)
        case closed
    }

    private struct Running {
        var channel: any Channel
        var group: MultiThreadedEventLoopGroup
        var worker: NIOThreadPool
    }

    public init(
        socketPath: String, controller: APIController, maxBodySize: Int = APIServer.defaultMaxBodySize,
        seccomp: SeccompAction? = nil, logger: Logger = Logger(label: "swift-vmm.api")
    ) {
        self.socketPath = socketPath
        self.seccomp = seccomp
        self.controller = controller
        self.maxBodySize = maxBodySize
        self.logger = logger
    }

    /// Binds the socket and returns once it is listening.
    public func start() throws(APIServerError) {
        guard state.withLock({ if case .idle = $0 { return true } else { return false } }) else {
            throw .alreadyStarted
        }
        try UnixSocketPath.prepare(socketPath)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let worker = NIOThreadPool(numberOfThreads: 1)
        worker.start()
        let controller = self.controller
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
        let channel: any Channel
        do {
            channel = try bootstrap.bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: false).wait()
        } catch {
            Self.shutDown(group: group, worker: worker)
            throw .bindFailed(path: socketPath, reason: String(describing: error))
        }
        do {
            try installFilters(group: group, worker: worker)
        } catch {
            try? channel.close().wait()
            Self.shutDown(group: group, worker: worker)
            unlink(socketPath)
            throw error
        }
        running.enter()
        state.withLock { $0 = .listening(Running(channel: channel, group: group, worker: worker)) }
        logger.debug("API listening on \(socketPath)")
    }

    /// Installs the `.apiEventLoop` filter on the event loop's thread and the `.control`
    /// filter on the worker's (which builds and drives machines), once the socket is
    /// bound: each install is a task run on that thread, waited for here.
    private func installFilters(group: MultiThreadedEventLoopGroup, worker: NIOThreadPool) throws(APIServerError) {
        guard let seccomp else { return }
        let loop = group.next()
        do {
            let loopFilter = try SeccompFilter(.apiEventLoop, action: seccomp)
            try loop.submit { try loopFilter.install() }.wait()
        } catch {
            throw .seccompFailed(thread: "event loop", reason: String(describing: error))
        }
        do {
            let workerFilter = try SeccompFilter(.control, action: seccomp)
            try worker.runIfActive(eventLoop: loop) { try workerFilter.install() }.wait()
        } catch {
            throw .seccompFailed(thread: "worker", reason: String(describing: error))
        }
    }

    /// Stops listening, closes every connection, stops the threads and removes the socket.
    /// Call it from outside the server's threads (not from a driver call). Idempotent.
    public func close() {
        let listening: Running? = state.withLock { state in
            guard case .listening(let running) = state else { return nil }
            state = .closed
            return running
        }
        guard let listening else { return }
        try? listening.channel.close().wait()
        Self.shutDown(group: listening.group, worker: listening.worker)
        unlink(socketPath)
        running.leave()
    }

    /// Blocks until `close()` has finished (returns at once if the server is not running).
    public func waitUntilClosed() {
        running.wait()
    }

    private static func shutDown(group: MultiThreadedEventLoopGroup, worker: NIOThreadPool) {
        try? worker.syncShutdownGracefully()
        try? group.syncShutdownGracefully()
    }
}
