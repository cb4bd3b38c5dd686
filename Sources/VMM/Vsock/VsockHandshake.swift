import Virtio

/// A host client of the vsock socket that has not yet sent its `CONNECT <port>\n`
/// line. The line is read a byte at a time, so not one byte after it is taken
/// from the socket: what follows belongs to the guest.
struct VsockHandshake {
    /// Bytes a line may have, its newline included ("CONNECT 4294967295\n" is 19).
    static let maxLineLength = 32

    enum Step: Equatable {
        /// No complete line yet.
        case waiting
        case connect(port: UInt32)
        /// Malformed or too long: the reason, for the log.
        case refused(String)
        /// The client went away.
        case closed
    }

    let stream: UnixStream
    private(set) var line: [UInt8] = []
    /// Timer ticks since the client connected.
    var ticks = 0

    init(stream: UnixStream) {
        self.stream = stream
    }

    /// Reads what has arrived, up to the newline.
    mutating func advance() -> Step {
        var byte: UInt8 = 0
        while line.count < Self.maxLineLength {
            let result = withUnsafeMutableBytes(of: &byte) { stream.read(into: $0) }
            switch result {
            case .transferred: break
            case .wouldBlock: return .waiting
            case .closed, .failed: return .closed
            }
            if byte == UInt8(ascii: "\n") {
                guard let port = Self.parse(line) else {
                    return .refused("'\(Self.printable(line))' is not 'CONNECT <port>'")
                }
                return .connect(port: port)
            }
            line.append(byte)
        }
        return .refused("no newline in the first \(Self.maxLineLength) bytes ('\(Self.printable(line))')")
    }

    /// The port of a `CONNECT <port>` line (without its newline): decimal, below 2^32.
    static func parse(_ line: [UInt8]) -> UInt32? {
        let prefix = Array("CONNECT ".utf8)
        guard line.starts(with: prefix) else { return nil }
        let digits = line.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.count <= 10,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return UInt32(String(decoding: digits, as: UTF8.self))
    }

    /// `bytes` with anything outside printable ASCII shown as `\xNN`.
    static func printable(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            (0x20..<0x7F).contains(byte) && byte != UInt8(ascii: "'")
                ? String(UnicodeScalar(byte)) : "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }
}
