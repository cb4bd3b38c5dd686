import Dispatch
import KVM
import Seccomp

#if canImport(Glibc)
import Glibc
#endif

/// Starting a dedicated OS thread that runs a closure.
enum OSThread {
    private final class Context {
        let name: String
        let prepare: () -> Void
        let filter: SeccompFilter?
        let body: () -> Void
        /// Signalled once the thread is set up; `failure` says if its filter was refused.
        let ready = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: SeccompError? = nil
        init(name: String, prepare: @escaping () -> Void, filter: SeccompFilter?, body: @escaping () -> Void) {
            self.name = name
            self.prepare = prepare
            self.filter = filter
            self.body = body
        }
    }

    /// Starts `body` on a new pthread; `what` names the thread in the error and,
    /// cut to 15 bytes, in the kernel (`/proc/PID/task/TID/comm`, `top -H`, `perf`).
    /// The thread runs `prepare`, then installs `filter` (seccomp), then `body`;
    /// `spawn` returns once the filter is in place, and throws if it was refused
    /// (the thread then ends without running `body`).
    static func spawn(_ what: String, filter: SeccompFilter? = nil, prepare: @escaping () -> Void = {},
                      _ body: @escaping () -> Void) throws(VMMError) -> pthread_t {
        let context = Context(name: what, prepare: prepare, filter: filter, body: body)
        let retained = Unmanaged.passRetained(context).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            let context = Unmanaged<Context>.fromOpaque(argument).takeRetainedValue()
            OSThread.nameCurrentThread(context.name)
            context.prepare()
            do throws(SeccompError) {
                try context.filter?.install()
            } catch {
                context.failure = error
                context.ready.signal()
                return nil
            }
            context.ready.signal()
            context.body()
            return nil
        }, retained)
        guard result == 0 else {
            Unmanaged<Context>.fromOpaque(retained).release()
            throw .threadSetup("\(what): pthread_create failed with errno \(result)")
        }
        context.ready.wait()
        if let failure = context.failure {
            pthread_join(handle, nil)
            throw .threadSetup("\(what): \(failure)")
        }
        return handle
    }

    /// Names the calling thread: its first 15 bytes go to /proc/thread-self/comm
    /// (Glibc's pthread_setname_np is not imported into Swift). Best effort.
    static func nameCurrentThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

/// A dedicated OS thread for one vCPU (never Swift concurrency's shared pool:
/// KVM_RUN blocks, and a vCPU must always be entered from the same thread).
final class VCPUThread: @unchecked Sendable {
    let handle: pthread_t

    private init(handle: pthread_t) { self.handle = handle }

    /// Starts `body` on a new thread prepared as a vCPU thread (see `KickSignal`).
    /// `filter` (the `.vcpu` allow-list, or nil) is installed after the signal set-up.
    static func spawn(filter: SeccompFilter? = nil, _ body: @escaping () -> Void) throws(VMMError) -> VCPUThread {
        VCPUThread(handle: try OSThread.spawn("vCPU thread", filter: filter,
                                              prepare: { KickSignal.prepareVCPUThread() }, body))
    }

    /// Sends the kick signal to the thread.
    func kick() {
        _ = pthread_kill(handle, KickSignal.number)
    }

    func join() {
        _ = pthread_join(handle, nil)
    }
}
