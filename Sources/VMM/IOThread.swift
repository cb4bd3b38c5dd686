import KVM

#if canImport(Glibc)
import Glibc
#endif

/// The device back ends' thread: waits on eventfds (queue notifications KVM
/// signals through ioeventfds) with epoll and runs each one's handler. Never a
/// vCPU thread, so a slow disk never stalls the guest's CPUs.
final class IOThread: @unchecked Sendable {
    private let epoll: Epoll
    private let stopEvent: EventFD
    private var handlers: [(event: EventFD, handle: @Sendable () -> Void)] = []
    private var thread = pthread_t()
    private var running = false

    init() throws(VMMError) {
        do {
            epoll = try Epoll()
            stopEvent = try EventFD()
            try epoll.add(stopEvent.descriptor.rawValue, token: UInt64.max)
        } catch { throw .kvm(error) }
    }

    /// Runs `handle` on this thread each time `event` is signalled (before `start`).
    func watch(_ event: EventFD, handle: @escaping @Sendable () -> Void) throws(VMMError) {
        do { try epoll.add(event.descriptor.rawValue, token: UInt64(handlers.count)) } catch { throw .kvm(error) }
        handlers.append((event, handle))
    }

    var isEmpty: Bool { handlers.isEmpty }

    func start() throws(VMMError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<IOThread>.fromOpaque(argument).takeRetainedValue().loop()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<IOThread>.fromOpaque(context).release()
            throw .threadSetup("I/O thread: pthread_create failed with errno \(result)")
        }
        running = true
    }

    /// Ends the thread after the handler in progress and waits for it.
    func stop() {
        guard running else { return }
        running = false
        stopEvent.signal()
        pthread_join(thread, nil)
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
