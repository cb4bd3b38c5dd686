import KVM

#if canImport(Glibc)
import Glibc
#endif

/// Starting a dedicated OS thread that runs a closure.
enum OSThread {
    private final class Context {
        let name: String
        let body: () -> Void
        init(name: String, body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new pthread; `what` names the thread in the error and,
    /// cut to 15 bytes, in the kernel (`/proc/PID/task/TID/comm`, `top -H`, `perf`).
    static func spawn(_ what: String, _ body: @escaping () -> Void) throws(VMMError) -> pthread_t {
        let context = Unmanaged.passRetained(Context(name: what, body: body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            let context = Unmanaged<Context>.fromOpaque(argument).takeRetainedValue()
            OSThread.nameCurrentThread(context.name)
            context.body()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Context>.fromOpaque(context).release()
            throw .threadSetup("\(what): pthread_create failed with errno \(result)")
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
    static func spawn(_ body: @escaping () -> Void) throws(VMMError) -> VCPUThread {
        VCPUThread(handle: try OSThread.spawn("vCPU thread") {
            KickSignal.prepareVCPUThread()
            body()
        })
    }

    /// Sends the kick signal to the thread.
    func kick() {
        _ = pthread_kill(handle, KickSignal.number)
    }

    func join() {
        _ = pthread_join(handle, nil)
    }
}
