import KVM
import Seccomp

/// A helper thread that takes an `ExitSnapshot` every `interval` seconds while the
/// VM runs and hands it to `observe` (the live view, the metrics), and takes a
/// last one when stopped, so observers end with the final counts.
final class ExitSampler: @unchecked Sendable {
    private let thread: ServiceThread
    private let epoll: Epoll
    private let intervalMilliseconds: Int32
    private let take: @Sendable () -> ExitSnapshot
    private let observe: @Sendable (ExitSnapshot) -> Void

    init(interval: Double, take: @escaping @Sendable () -> ExitSnapshot,
         observe: @escaping @Sendable (ExitSnapshot) -> Void) throws(VMMError) {
        intervalMilliseconds = Int32(min(max(interval, 0.01), 86_400) * 1000)
        self.take = take
        self.observe = observe
        thread = try ServiceThread(name: "exit sampler")
        do {
            epoll = try Epoll()
            try epoll.add(thread.stopEvent.descriptor.rawValue, token: 0)
        } catch { throw .kvm(error) }
    }

    /// Starts the thread; `filter` (seccomp) is installed on it first when given.
    func start(filter: SeccompFilter? = nil) throws(VMMError) {
        try thread.start(filter: filter) { [self] in loop() }
    }

    /// Ends the thread after its last snapshot and waits for it.
    func stop() {
        thread.stop()
    }

    private func loop() {
        let tokens = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 1)
        defer { tokens.deallocate() }
        while true {
            let stopping = epoll.wait(into: tokens, timeout: intervalMilliseconds) > 0
            observe(take())
            if stopping { return }
        }
    }
}
