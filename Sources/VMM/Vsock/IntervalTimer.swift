#if canImport(Glibc)
import Glibc
#endif

/// A periodic timerfd (CLOCK_MONOTONIC, non-blocking, close-on-exec) that can be
/// armed and disarmed; readable once per expiry.
final class IntervalTimer: @unchecked Sendable {
    private typealias Create = @convention(c) (Int32, Int32) -> Int32
    private typealias SetTime = @convention(c) (
        Int32, Int32, UnsafePointer<itimerspec>?, UnsafeMutablePointer<itimerspec>?
    ) -> Int32

    /// timerfd_create/timerfd_settime are not imported by Swift's Glibc module.
    private static let create: Create? = dlsym(nil, "timerfd_create").map { unsafeBitCast($0, to: Create.self) }
    private static let setTime: SetTime? = dlsym(nil, "timerfd_settime").map { unsafeBitCast($0, to: SetTime.self) }

    let descriptor: Int32

    init() throws(SocketError) {
        guard let create = Self.create, Self.setTime != nil else { throw SocketError("timerfd is not available") }
        // TFD_NONBLOCK and TFD_CLOEXEC have the values of O_NONBLOCK and O_CLOEXEC.
        let fd = create(CLOCK_MONOTONIC, O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SocketError("timerfd_create", errno: errno) }
        descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    /// Fires every `seconds` from now on (0: never).
    func arm(everySeconds seconds: Int) {
        let period = timespec(tv_sec: seconds, tv_nsec: 0)
        var specification = itimerspec(it_interval: period, it_value: period)
        _ = Self.setTime?(descriptor, 0, &specification, nil)
    }

    func disarm() {
        arm(everySeconds: 0)
    }

    /// Reads the expiry count (0 when none is pending).
    func drain() -> UInt64 {
        var count: UInt64 = 0
        return read(descriptor, &count, 8) == 8 ? count : 0
    }
}
