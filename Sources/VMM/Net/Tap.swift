import CHost
import Virtio

#if canImport(Glibc)
import Glibc
#endif

/// A TAP device as a virtio-net back end: /dev/net/tun opened non-blocking and
/// close-on-exec, attached to interface `name` with IFF_TAP | IFF_NO_PI, so each
/// read or write is one whole Ethernet frame.
///
/// The VMM's I/O thread watches `descriptor` (edge-triggered) and tells the
/// device when input arrives; the device reads until the back end would block
/// or the guest has no buffers left.
final class Tap: NetBackend {
    static let clonePath = "/dev/net/tun"

    let name: String
    let descriptor: Int32

    /// Opens /dev/net/tun and attaches to interface `name`. Errors name the
    /// option (`--net tap=NAME`) and the cause.
    init(name: String) throws(VMMError) {
        try NetConfiguration.checkInterfaceName(name)
        let fd = open(Self.clonePath, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let error = errno
            throw Self.failure(name, "cannot open \(Self.clonePath): \(Self.describe(error))"
                + Self.openHint(error))
        }
        guard chost_tap_attach(fd, name) == 0 else {
            let error = errno
            close(fd)
            throw Self.failure(name, "cannot attach to TAP device \(name): \(Self.describe(error))"
                + Self.attachHint(error, name: name))
        }
        self.name = name
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    func receive(into buffer: UnsafeMutableRawBufferPointer) -> NetReceiveResult {
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count > 0 { return .frame(count) }
            if count == 0 { return .wouldBlock }
            let error = errno
            if error == EINTR { continue }
            return error == EAGAIN || error == EWOULDBLOCK ? .wouldBlock : .failed(error)
        }
    }

    func send(_ frame: UnsafeRawBufferPointer) -> NetSendResult {
        while true {
            if write(descriptor, frame.baseAddress, frame.count) >= 0 { return .sent }
            let error = errno
            if error == EINTR { continue }
            return error == EAGAIN || error == EWOULDBLOCK ? .wouldBlock : .failed(error)
        }
    }

    private static func failure(_ name: String, _ reason: String) -> VMMError {
        .invalidConfiguration(option: "--net", reason: "tap=\(name): \(reason)")
    }

    /// "Operation not permitted (errno 1)".
    static func describe(_ error: Int32) -> String {
        "\(String(cString: strerror(error))) (errno \(error))"
    }

    private static func openHint(_ error: Int32) -> String {
        switch error {
        case ENOENT, ENODEV, ENXIO: return "; is the tun module loaded?"
        case EACCES, EPERM: return "; needs read-write access to \(clonePath)"
        default: return ""
        }
    }

    private static func attachHint(_ error: Int32, name: String) -> String {
        switch error {
        case EPERM: return " (needs CAP_NET_ADMIN or a TAP device owned by this user)"
        case EBUSY: return " (another process, or another --net, is attached to it)"
        case EINVAL: return " (an interface \(name) exists but is not a TAP device)"
        default: return ""
        }
    }
}
