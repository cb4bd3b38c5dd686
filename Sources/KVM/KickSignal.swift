import CKVM
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The signal that kicks a vCPU thread out of KVM_RUN.
///
/// A kick is `requestImmediateExit(true)` on the vCPU followed by this signal to
/// its thread: if the thread is inside KVM_RUN, the signal makes KVM_RUN return
/// EINTR; if it is about to enter, immediate_exit makes KVM_RUN return at once.
public enum KickSignal {
    public static let number: Int32 = SIGUSR1

    /// Installs the empty handler (without SA_RESTART) for the kick signal.
    public static func install() throws(KVMError) {
        guard ckvm_install_kick_handler(number) == 0 else {
            throw .unexpected(operation: "sigaction for the vCPU kick signal",
                              detail: "\(Errno(rawValue: errno))")
        }
    }

    /// Prepares the calling thread to be a vCPU thread: SIGINT and SIGTERM blocked
    /// (the control plane handles them), the kick signal accepted.
    public static func prepareVCPUThread() {
        _ = ckvm_block_signal(SIGINT)
        _ = ckvm_block_signal(SIGTERM)
        _ = ckvm_unblock_signal(number)
    }
}
