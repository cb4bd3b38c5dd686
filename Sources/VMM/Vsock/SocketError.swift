#if canImport(Glibc)
import Glibc
#endif

/// A failed socket call: what was attempted and the errno text.
struct SocketError: Error, CustomStringConvertible {
    let description: String

    init(_ what: String, errno code: Int32) {
        description = "\(what): \(String(cString: strerror(code)))"
    }

    init(_ message: String) {
        description = message
    }
}
