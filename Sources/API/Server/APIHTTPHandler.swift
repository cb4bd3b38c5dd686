import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// One connection's HTTP handler: collects a request (up to the body limit), runs it on
/// the worker pool through the controller, and writes the answer. Keep-alive and
/// pipelining come from NIO's HTTP server pipeline.
final class APIHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let controller: APIController
    private let worker: NIOThreadPool
    private let maxBodySize: Int
    private let logger: Logger

    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var received = 0
    private var declaredLength = 0
    private var oversized = false

    init(controller: APIController, worker: NIOThreadPool, maxBodySize: Int, logger: Logger) {
        self.controller = controller
        self.worker = worker
        self.maxBodySize = maxBodySize
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            received = 0
            declaredLength = head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
            oversized = declaredLength > maxBodySize
        case .body(var buffer):
            received += buffer.readableBytes
            if oversized { return }
            if body.count + buffer.readableBytes > maxBodySize {
                oversized = true
                body = []
            } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                body += bytes
            }
        case .end:
            guard let head else { return }
            self.head = nil
            if oversized {
                let size = max(received, declaredLength)
                respond(context, head, .fault(.payloadTooLarge(size: size, limit: maxBodySize)))
                return
            }
            run(context, head, APIRequest(method: head.method.rawValue, path: head.uri, body: body))
            body = []
        }
    }

    /// Runs the request off the event loop (driver calls may block), then answers.
    private func run(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ request: APIRequest) {
        let controller = self.controller
        let answer = worker.runIfActive(eventLoop: context.eventLoop) {
            controller.handle(request)
        }
        answer.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let response):
                self.respond(context, head, response)
            case .failure(let error):
                let message = "the API server is shutting down (\(error))"
                self.respond(context, head, .fault(.invalidState(operation: "\(request.method) \(request.path)", reason: message)))
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ response: APIResponse) {
        if response.status >= 400 {
            logger.info("\(head.method.rawValue) \(head.uri): \(response.status)")
        } else {
            logger.debug("\(head.method.rawValue) \(head.uri): \(response.status)")
        }
        let keepAlive = head.isKeepAlive
        var headers = HTTPHeaders()
        headers.add(name: "Server", value: "swift-vmm API")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        if response.status != 204 {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: "\(response.body.count)")
        }
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if !response.body.isEmpty {
            let buffer = context.channel.allocator.buffer(bytes: response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
