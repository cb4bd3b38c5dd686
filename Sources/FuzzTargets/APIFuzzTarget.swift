import API
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Fuzzes the REST API: a fresh `APIController` over a driver that accepts every
/// call, so each request reaches routing, body decoding and the pre-/post-boot rules.
///
/// The first byte picks a mode: 0 the rest is raw HTTP/1.1 bytes, parsed by NIO's
/// HTTP decoder in an `EmbeddedChannel` (the server's parser) and assembled into
/// requests as the server's handler does, with its body limit; 1 a sequence of
/// requests, each a method (byte), a path (to a newline) and a body (a UInt16
/// length, then that many bytes); 2 the rest is a `--config-file` document.
public enum APIFuzzTarget {
    static let methods = ["GET", "PUT", "PATCH", "POST", "DELETE", "HEAD", "OPTIONS", ""]
    /// Requests made at most per input.
    static let mostRequests = 64

    /// Returns the requests answered with a success status (mode 2: 1 when the
    /// config file was accepted and the instance started).
    @discardableResult
    public static func run(_ data: [UInt8]) -> Int {
        var input = FuzzInput(data)
        switch input.byte() % 3 {
        case 0: return runHTTP(input.rest())
        case 1: return runRequests(&input)
        default:
            guard let resources = try? VMResources(configFileContents: input.rest()) else { return 0 }
            let controller = APIController(driver: AcceptingDriver(), resources: resources)
            guard (try? controller.startInstance()) != nil else { return 0 }
            _ = controller.handle(APIRequest(method: "GET", path: "/vm/config"))
            return 1
        }
    }

    static func runRequests(_ input: inout FuzzInput) -> Int {
        let controller = APIController(driver: AcceptingDriver())
        var count = 0
        var succeeded = 0
        while !input.isAtEnd, count < mostRequests {
            count += 1
            let method = methods[Int(input.byte()) % methods.count]
            var path: [UInt8] = []
            while !input.isAtEnd {
                let byte = input.byte()
                if byte == 0x0A { break }
                path.append(byte)
            }
            let body = input.bytes(upTo: Int(input.integer(UInt16.self)))
            let response = controller.handle(
                APIRequest(method: method, path: String(decoding: path, as: UTF8.self), body: body))
            if response.status < 400 { succeeded += 1 }
        }
        return succeeded
    }

    static func runHTTP(_ bytes: [UInt8]) -> Int {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        do {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
        } catch {
            // A parse error ends the connection; the requests before it were still read.
        }
        let controller = APIController(driver: AcceptingDriver())
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        var oversized = false
        var count = 0
        var succeeded = 0
        while count < mostRequests, let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head(let newHead):
                head = newHead
                body = []
                let declared = newHead.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
                oversized = declared > APIServer.defaultMaxBodySize
            case .body(var buffer):
                if oversized { continue }
                if body.count + buffer.readableBytes > APIServer.defaultMaxBodySize {
                    oversized = true
                    body = []
                } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                    body += bytes
                }
            case .end:
                guard let finished = head else { continue }
                head = nil
                count += 1
                if oversized { continue }
                let response = controller.handle(
                    APIRequest(method: finished.method.rawValue, path: finished.uri, body: body))
                if response.status < 400 { succeeded += 1 }
            }
        }
        return succeeded
    }
}

/// A machine driver that accepts every call and does nothing.
final class AcceptingDriver: MachineDriver {
    func start(_ resources: VMResources) throws {}
    func pause() throws {}
    func resume() throws {}
    func sendCtrlAltDel() throws {}
    func flushMetrics() throws {}
    func createSnapshot(_ parameters: SnapshotCreateParams) throws {}
    func loadSnapshot(_ parameters: SnapshotLoadParams) throws -> VMResources { VMResources() }
    func updateDrive(_ update: PartialDrive) throws {}
    func configureLogger(_ logger: LoggerConfig) throws {}
    func configureMetrics(_ metrics: MetricsConfig) throws {}
}
