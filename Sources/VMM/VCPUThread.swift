import KVM

#if canImport(Glibc)
import Glibc
#endif

/// A dedicated OS thread for one vCPU (never Swift concurrency's shared pool:
/// KVM_RUN blocks, and a vCPU must always be entered from the same thread).
final class VCPUThread: @unchecked Sendable {
    private final class Context {
        let body: () -> Void
        init(body: @escaping () -> Void) { self.body = body }
    }

    let handle: pthread_t

    private init(handle: pthread_t) { self.handle = handle }

    /// Starts `body` on a new thread prepared as a vCPU thread (see `KickSignal`).
    static func spawn(_ body: @escaping () -> Void) throws(VMMError) -> VCPUThread {
        let context = Unmanaged.passRetained(Context(body: body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            let context = Unmanaged<Context>.fromOpaque(argument).takeRetainedValue()
            KickSignal.prepareVCPUThread()
            context.body()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Context>.fromOpaque(context).release()
            throw .threadSetup("pthread_create failed: errno \(result)")
        }
        return VCPUThread(handle: handle)
    }

    /// Sends the kick signal to the thread.
    func kick() {
        _ = pthread_kill(handle, KickSignal.number)
    }

    func join() {
        _ = pthread_join(handle, nil)
    }
}
