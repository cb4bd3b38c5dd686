import KVM

#if canImport(Glibc)
import Glibc
#endif

/// Starting a dedicated OS thread that runs a closure.
enum OSThread {
    private final class Context {
        let body: () -> Void
        init(body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new pthread; `what` names the thread in the error.
    static func spawn(_ what: String, _ body: @escaping () -> Void) throws(VMMError) -> pthread_t {
        let context = Unmanaged.passRetained(Context(body: body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<Context>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Context>.fromOpaque(context).release()
            throw .threadSetup("\(what): pthread_create failed with errno \(result)")
        }
        return handle
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
