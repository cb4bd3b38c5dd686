import CKVM
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A Linux eventfd: a 64-bit counter that one side adds to and the other reads.
///
/// KVM uses them to signal without a vCPU ioctl: a write to an eventfd registered
/// with KVM_IRQFD raises a guest interrupt from any thread.
public final class EventFD: Sendable {
    public let descriptor: FileDescriptor

    /// Creates a non-blocking, close-on-exec eventfd with the counter at zero.
    public init() throws(KVMError) {
        let fd = ckvm_eventfd()
        guard fd >= 0 else { throw .ioctlFailed(operation: "eventfd", errno: Errno(rawValue: errno)) }
        descriptor = FileDescriptor(rawValue: fd)
    }

    deinit {
        try? descriptor.close()
    }

    /// Adds `value` to the counter (one write(2); no allocation, no lock). Returns
    /// false if the write failed (the counter would overflow, or the descriptor is bad).
    @discardableResult
    public func signal(_ value: UInt64 = 1) -> Bool {
        var value = value
        while true {
            let written = write(descriptor.rawValue, &value, 8)
            if written == 8 { return true }
            if written < 0 && errno == EINTR { continue }
            return false
        }
    }

    /// Reads and resets the counter; 0 when nothing was signalled.
    public func drain() -> UInt64 {
        var value: UInt64 = 0
        while true {
            let count = read(descriptor.rawValue, &value, 8)
            if count == 8 { return value }
            if count < 0 && errno == EINTR { continue }
            return 0
        }
    }
}
