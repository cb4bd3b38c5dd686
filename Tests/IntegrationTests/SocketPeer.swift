import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking stream socket for tests (Unix, or AF_VSOCK where the host has
/// vhost-vsock), every read bounded by a receive timeout so a test never hangs.
final class SocketPeer: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ what: String) { description = "\(what): \(String(cString: strerror(errno)))" }
    }

    /// AF_VSOCK and VMADDR_CID_ANY from <linux/vm_sockets.h>.
    static let familyVsock: Int32 = 40
    static let anyCID: UInt32 = 0xFFFF_FFFF

    let fd: Int32

    private init(fd: Int32, timeout: Int = 20) {
        self.fd = fd
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close() }

    private static func unixAddress(_ path: String) -> [UInt8] {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8.prefix(raw.count - 1)))
        }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    /// struct sockaddr_vm: family, reserved, port, cid, zero padding (16 bytes).
    private static func vsockAddress(cid: UInt32, port: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[0] = UInt8(familyVsock)
        for index in 0..<4 {
            bytes[4 + index] = UInt8(truncatingIfNeeded: port >> (8 * UInt32(index)))
            bytes[8 + index] = UInt8(truncatingIfNeeded: cid >> (8 * UInt32(index)))
        }
        return bytes
    }

    private static func open(_ family: Int32) throws -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket") }
        return fd
    }

    private static func call(_ address: [UInt8], _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        address.withUnsafeBytes { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
    }

    private static func listen(_ family: Int32, _ address: [UInt8]) throws -> SocketPeer {
        let fd = try open(family)
        guard call(address, { bind(fd, $0, $1) }) == 0, Glibc.listen(fd, 8) == 0 else {
            let failure = Failure("bind/listen")
            Glibc.close(fd)
            throw failure
        }
        return SocketPeer(fd: fd)
    }

    private static func connect(_ family: Int32, _ address: [UInt8]) throws -> SocketPeer {
        let fd = try open(family)
        guard call(address, { Glibc.connect(fd, $0, $1) }) == 0 else {
            let failure = Failure("connect")
            Glibc.close(fd)
            throw failure
        }
        return SocketPeer(fd: fd)
    }

    static func listen(path: String) throws -> SocketPeer { try listen(AF_UNIX, unixAddress(path)) }
    static func connect(path: String) throws -> SocketPeer { try connect(AF_UNIX, unixAddress(path)) }
    static func listen(vsockPort port: UInt32) throws -> SocketPeer {
        try listen(familyVsock, vsockAddress(cid: anyCID, port: port))
    }
    static func connect(vsockCID cid: UInt32, port: UInt32) throws -> SocketPeer {
        try connect(familyVsock, vsockAddress(cid: cid, port: port))
    }

    /// The next connection (fails after the receive timeout).
    func accept() throws -> SocketPeer {
        let client = Glibc.accept(fd, nil, nil)
        guard client >= 0 else { throw Failure("accept") }
        return SocketPeer(fd: client)
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw Failure("send") }
            offset += count
        }
    }

    func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Up to `count` bytes: fewer only at end of file. Throws on a timeout.
    func read(count: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < count {
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, count - bytes.count), 0) }
            if got == 0 { break }
            guard got > 0 else { throw Failure("recv") }
            bytes += buffer.prefix(got)
        }
        return bytes
    }

    /// Bytes up to and including a newline (or end of file, or `limit` bytes).
    func readLine(limit: Int = 64) throws -> String {
        var bytes: [UInt8] = []
        while bytes.last != UInt8(ascii: "\n"), bytes.count < limit {
            let byte = try read(count: 1)
            if byte.isEmpty { break }
            bytes += byte
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether the peer closes the connection (end of file or reset) before
    /// sending anything, within the receive timeout.
    func closedByPeer() -> Bool {
        var byte: UInt8 = 0
        let got = recv(fd, &byte, 1, 0)
        return got == 0 || (got < 0 && errno == ECONNRESET)
    }

    func close() {
        Glibc.close(fd)
    }
}
