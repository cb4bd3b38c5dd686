import KVM
import Seccomp

#if canImport(Glibc)
import Glibc
#endif

/// A helper thread of the VMM (I/O, serial input) that is asked to end through an
/// eventfd its body polls alongside its own descriptors.
final class ServiceThread: @unchecked Sendable {
    /// Signalled by `stop`; the body returns when it becomes readable.
    let stopEvent: EventFD
    private let name: String
    private var thread = pthread_t()
    private var running = false

    init(name: String) throws(VMMError) {
        self.name = name
        do { stopEvent = try EventFD() } catch { throw .kvm(error) }
    }

    /// Starts `body` on the thread, under `filter` (seccomp) when one is given.
    func start(filter: SeccompFilter? = nil, _ body: @escaping () -> Void) throws(VMMError) {
        thread = try OSThread.spawn(name, filter: filter, body)
        running = true
    }

    /// Signals the stop event and waits for the body to return.
    func stop() {
        guard running else { return }
        running = false
        stopEvent.signal()
        pthread_join(thread, nil)
    }
}
