import HTTPTestClient
import API
import Glibc
import Testing

@Suite("API socket path handling")
struct SocketPathTests {
    private func freshPath(_ name: String) -> String {
        "/tmp/swift-vmm-api-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
    }

    @Test("a regular file at the path is refused, not replaced")
    func refusesRegularFile() throws {
        let path = freshPath("file")
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        #expect(fd >= 0)
        close(fd)
        defer { unlink(path) }
        let server = APIServer(socketPath: path, controller: APIController(driver: FakeDriver()))
        #expect(throws: APIServerError.notASocket(path: path)) { try server.start() }
        var info = stat()
        #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
    }

    @Test("a stale socket is replaced; a live one is refused; close removes the socket")
    func staleAndLiveSockets() throws {
        let path = freshPath("stale")
        // A socket file nobody listens on: bind, then close without unlinking.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        close(fd)

        let server = APIServer(socketPath: path, controller: APIController(driver: FakeDriver()))
        try server.start()
        #expect(try HTTPTestClient(path: path).request("GET", "/").status == 200)

        let second = APIServer(socketPath: path, controller: APIController(driver: FakeDriver()))
        #expect(throws: APIServerError.socketInUse(path: path)) { try second.start() }
        #expect(try HTTPTestClient(path: path).request("GET", "/").status == 200)

        server.close()
        server.waitUntilClosed()
        var info = stat()
        #expect(lstat(path, &info) != 0)
    }

    @Test("a path longer than sun_path is refused with its length")
    func pathTooLong() {
        let path = "/tmp/" + String(repeating: "p", count: 120)
        let server = APIServer(socketPath: path, controller: APIController(driver: FakeDriver()))
        #expect(throws: APIServerError.pathTooLong(path: path, limit: 107)) { try server.start() }
    }
}
