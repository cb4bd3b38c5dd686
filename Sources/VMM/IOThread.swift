import KVM

#if canImport(Glibc)
import Glibc
#endif

/// The device back ends' thread: waits on eventfds (queue notifications KVM
/// signals through ioeventfds) with epoll and runs each one's handler. Never a
/// vCPU thread, so a slow disk never stalls the guest's CPUs.
final class IOThread: @unchecked Sendable {
    private let epoll: Epoll
    private let thread: ServiceThread
    private var handlers: [(event: EventFD, handle: @Sendable () -> Void)] = []

    init() throws(VMMError) {
        thread = try ServiceThread(name: "I/O thread")
        do {
            epoll = try Epoll()
            try epoll.add(thread.stopEvent.descriptor.rawValue, token: UInt64.max)
        } catch { throw .kvm(error) }
    }

    /// Runs `handle` on this thread each time `event` is signalled (before `start`).
    func watch(_ event: EventFD, handle: @escaping @Sendable () -> Void) throws(VMMError) {
        do { try epoll.add(event.descriptor.rawValue, token: UInt64(handlers.count)) } catch { throw .kvm(error) }
        handlers.append((event, handle))
    }

    var isEmpty: Bool { handlers.isEmpty }

    func start() throws(VMMError) {
        try thread.start { [self] in loop() }
    }

    /// Ends the thread after the handler in progress and waits for it.
    func stop() {
        thread.stop()
    }

    private func loop() {
        let tokens = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 16)
        defer { tokens.deallocate() }
        while true {
            let count = epoll.wait(into: tokens)
            for token in tokens.prefix(count) {
                if token == UInt64.max { return }
                guard token < UInt64(handlers.count) else { continue }
                let handler = handlers[Int(token)]
                if handler.event.drain() > 0 { handler.handle() }
            }
        }
    }
}
