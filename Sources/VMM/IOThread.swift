import Dispatch
import KVM
import Seccomp
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The device back ends' thread: waits on eventfds (queue notifications KVM
/// signals through ioeventfds) and host descriptors (a TAP device, a device's
/// own epoll set) with epoll and runs each one's handler. Never a vCPU thread,
/// so a slow disk never stalls the guest's CPUs.
final class IOThread: @unchecked Sendable {
    private let epoll: Epoll
    private let thread: ServiceThread
    private var handlers: [Handler] = []
    /// Wakes the loop for `pause`; token `UInt64.max - 1`.
    private let pauseEvent: EventFD
    /// Signalled by the loop once it has parked; signalled by `resume` to let it go.
    private let parked = DispatchSemaphore(value: 0)
    private let wake = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    private let pauseRequested = Atomic<Bool>(false)

    private enum Handler {
        /// Drained before `handle` runs, which runs only if it was signalled.
        case event(EventFD, @Sendable () -> Void)
        /// `handle` runs whenever the descriptor is readable and reads it itself.
        case descriptor(@Sendable () -> Void)
    }

    init() throws(VMMError) {
        thread = try ServiceThread(name: "I/O thread")
        do {
            epoll = try Epoll()
            pauseEvent = try EventFD()
            try epoll.add(thread.stopEvent.descriptor.rawValue, token: UInt64.max)
            try epoll.add(pauseEvent.descriptor.rawValue, token: UInt64.max - 1)
        } catch { throw .kvm(error) }
    }

    /// Runs `handle` on this thread each time `event` is signalled (before `start`).
    func watch(_ event: EventFD, handle: @escaping @Sendable () -> Void) throws(VMMError) {
        do { try epoll.add(event.descriptor.rawValue, token: UInt64(handlers.count)) } catch { throw .kvm(error) }
        handlers.append(.event(event, handle))
    }

    /// Runs `handle` on this thread when `descriptor` becomes readable (before
    /// `start`). The handler reads the descriptor itself; with `edgeTriggered`
    /// it is called once per arrival of new input, so it must read until EAGAIN
    /// or remember that input is left (e.g. a TAP device while the guest has no
    /// receive buffers). The caller keeps the descriptor open while the thread runs.
    func watch(descriptor: Int32, edgeTriggered: Bool = false,
               handle: @escaping @Sendable () -> Void) throws(VMMError) {
        do {
            try epoll.add(descriptor, token: UInt64(handlers.count), edgeTriggered: edgeTriggered)
        } catch { throw .kvm(error) }
        handlers.append(.descriptor(handle))
    }

    var isEmpty: Bool { handlers.isEmpty }

    /// Starts the thread; `filter` (seccomp) is installed on it first when given.
    func start(filter: SeccompFilter? = nil) throws(VMMError) {
        try thread.start(filter: filter) { [self] in loop() }
        started.store(true, ordering: .releasing)
    }

    /// Returns once the thread is parked between handlers (no queue request is
    /// half done), so device state can be saved; a thread never started is idle.
    func pause() {
        guard started.load(ordering: .acquiring),
              !pauseRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = pauseEvent.signal()
        parked.wait()
    }

    /// Lets a paused thread go on.
    func resume() {
        guard pauseRequested.exchange(false, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
    }

    /// Ends the thread after the handler in progress and waits for it.
    func stop() {
        resume()
        thread.stop()
    }

    private func loop() {
        let tokens = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 16)
        defer { tokens.deallocate() }
        while true {
            let count = epoll.wait(into: tokens)
            for token in tokens.prefix(count) {
                if token == UInt64.max { return }
                if token == UInt64.max - 1 {
                    _ = pauseEvent.drain()
                    if pauseRequested.load(ordering: .acquiring) {
                        parked.signal()
                        wake.wait()
                    }
                    continue
                }
                guard token < UInt64(handlers.count) else { continue }
                switch handlers[Int(token)] {
                case .event(let event, let handle): if event.drain() > 0 { handle() }
                case .descriptor(let handle): handle()
                }
            }
        }
    }
}
