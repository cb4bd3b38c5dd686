import FoundationEssentials
import Glibc

/// An HTTP/1.1 answer as the test client read it.
public struct HTTPTestResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: String

    public init(status: Int, headers: [String: String], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The `fault_message` of an error body ("" if there is none).
    public var faultMessage: String {
        let object = try? JSONDecoder().decode([String: String].self, from: Data(body.utf8))
        return object?["fault_message"] ?? ""
    }

    /// Decodes the body as `T`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.utf8))
    }
}

public enum HTTPTestClientError: Error, CustomStringConvertible {
    case system(String, Int32)
    case malformed(String)

    public var description: String {
        switch self {
        case .system(let call, let code): return "\(call) failed: \(String(cString: strerror(code)))"
        case .malformed(let what): return "malformed answer: \(what)"
        }
    }
}

/// A minimal HTTP/1.1 client over a raw Unix socket: one connection, requests in turn,
/// answers read by Content-Length. Enough to test the server byte for byte.
public final class HTTPTestClient {
    private let fd: Int32
    private var buffer: [UInt8] = []

    public init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPTestClientError.system("socket", errno) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HTTPTestClientError.system("connect", code)
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends one request and reads its answer.
    public func request(_ method: String, _ path: String, _ body: String? = nil, headers: [String] = []) throws -> HTTPTestResponse {
        try sendRaw(Self.format(method, path, body, headers: headers))
        return try readResponse()
    }

    /// Formats a request with Content-Length.
    public static func format(_ method: String, _ path: String, _ body: String?, headers: [String] = []) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for header in headers { text += header + "\r\n" }
        if let body {
            text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        } else {
            text += "\r\n"
        }
        return text
    }

    public func sendRaw(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw HTTPTestClientError.system("send", errno) }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Reads one answer: status line, headers, and Content-Length bytes of body.
    public func readResponse() throws -> HTTPTestResponse {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = buffer.firstRange(of: separator)?.lowerBound
            if headerEnd == nil { try fill() }
        }
        guard let end = headerEnd else { throw HTTPTestClientError.malformed("no header end") }
        let headText = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end + separator.count)
        var lines = headText.split(separator: "\r\n").map(String.init)
        guard !lines.isEmpty else { throw HTTPTestClientError.malformed("empty head") }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw HTTPTestClientError.malformed("status line \(statusLine)")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingSpaces()
        }
        let length = headers["content-length"].flatMap { Int($0) } ?? 0
        while buffer.count < length { try fill() }
        let body = String(decoding: buffer.prefix(length), as: UTF8.self)
        buffer.removeFirst(length)
        return HTTPTestResponse(status: status, headers: headers, body: body)
    }

    /// True once the server has closed the connection (read returns 0).
    public func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else {
            throw count == 0 ? HTTPTestClientError.malformed("connection closed") : HTTPTestClientError.system("recv", errno)
        }
        buffer += chunk[..<count]
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String { String(self).trimmingSpaces() }
}
