import HTTPTestClient
import API
import Glibc
import Logging

/// A server on a fresh socket path with a fake driver; closed by `stop()`.
final class TestServer {
    let driver = FakeDriver()
    let controller: APIController
    let server: APIServer
    let path: String

    init(maxBodySize: Int = APIServer.defaultMaxBodySize) throws {
        path = "/tmp/swift-vmm-api-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        controller = APIController(driver: driver)
        var logger = Logger(label: "swift-vmm.api.test")
        logger.logLevel = .critical
        server = APIServer(socketPath: path, controller: controller, maxBodySize: maxBodySize, logger: logger)
        try server.start()
    }

    func client() throws -> HTTPTestClient { try HTTPTestClient(path: path) }

    func stop() { server.close() }
}
