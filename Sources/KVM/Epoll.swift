import CKVM
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// An epoll instance watching descriptors for input, each known by a token.
public final class Epoll: @unchecked Sendable {
    public let descriptor: FileDescriptor

    public init() throws(KVMError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw .ioctlFailed(operation: "epoll_create1", errno: Errno(rawValue: errno)) }
        descriptor = FileDescriptor(rawValue: fd)
    }

    deinit {
        try? descriptor.close()
    }

    /// Watches `fd` for input; `wait` reports it as `token`. Level-triggered
    /// unless `edgeTriggered`, which reports it once per arrival of new input.
    public func add(_ fd: Int32, token: UInt64, edgeTriggered: Bool = false) throws(KVMError) {
        let result = edgeTriggered
            ? ckvm_epoll_add_edge(descriptor.rawValue, fd, token) : ckvm_epoll_add(descriptor.rawValue, fd, token)
        guard result == 0 else {
            throw .ioctlFailed(operation: "epoll_ctl(EPOLL_CTL_ADD)", errno: Errno(rawValue: errno))
        }
    }

    /// Watches a stream socket, edge-triggered, for input, room to write and
    /// hang-up: `wait` reports `token` once per change, so the owner reads or
    /// writes until it would block (or remembers that it stopped early).
    public func addStream(_ fd: Int32, token: UInt64) throws(KVMError) {
        guard ckvm_epoll_add_stream(descriptor.rawValue, fd, token) == 0 else {
            throw .ioctlFailed(operation: "epoll_ctl(EPOLL_CTL_ADD)", errno: Errno(rawValue: errno))
        }
    }

    /// Stops watching `fd` (closing it does too).
    public func remove(_ fd: Int32) throws(KVMError) {
        guard ckvm_epoll_remove(descriptor.rawValue, fd) == 0 else {
            throw .ioctlFailed(operation: "epoll_ctl(EPOLL_CTL_DEL)", errno: Errno(rawValue: errno))
        }
    }

    /// Waits for input on any watched descriptor and writes the ready tokens into
    /// `tokens` (at most 16); returns how many. `timeout` in ms, -1 for none.
    public func wait(into tokens: UnsafeMutableBufferPointer<UInt64>, timeout: Int32 = -1) -> Int {
        while true {
            let count = ckvm_epoll_wait(descriptor.rawValue, tokens.baseAddress, Int32(tokens.count), timeout)
            if count >= 0 { return Int(count) }
            if errno != EINTR { return 0 }
        }
    }
}
