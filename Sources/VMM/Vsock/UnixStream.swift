import KVM
import Synchronization
import Virtio

#if canImport(Glibc)
import Glibc
#endif

/// One connected Unix stream socket as the host end of a vsock connection. It is
/// in the multiplexer's epoll set under `token` until it is closed.
final class UnixStream: VsockHostStream {
    let token: UInt64
    private let descriptor: Mutex<Int32>
    private let epoll: Epoll

    /// Takes ownership of `fd`, already in `epoll` under `token`.
    init(fd: Int32, token: UInt64, epoll: Epoll) {
        self.token = token
        self.descriptor = Mutex(fd)
        self.epoll = epoll
    }

    deinit {
        close()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> VsockStreamResult {
        descriptor.withLock { fd in
            guard fd >= 0 else { return .closed }
            while true {
                let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if count > 0 { return .transferred(count) }
                if count == 0 { return .closed }
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: return .wouldBlock
                default: return .failed(String(cString: strerror(errno)))
                }
            }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> VsockStreamResult {
        descriptor.withLock { fd in
            guard fd >= 0 else { return .closed }
            while true {
                let count = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
                if count > 0 { return .transferred(count) }
                if count == 0 { return .wouldBlock }
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: return .wouldBlock
                case EPIPE, ECONNRESET: return .closed
                default: return .failed(String(cString: strerror(errno)))
                }
            }
        }
    }

    func shutdownWrite() {
        descriptor.withLock { fd in
            if fd >= 0 { _ = shutdown(fd, Int32(SHUT_WR)) }
        }
    }

    func close() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            try? epoll.remove(fd)
            _ = Glibc.close(fd)
            fd = -1
        }
    }
}
