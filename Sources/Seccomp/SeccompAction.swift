/// What a filter does with a system call its allow-list does not name.
public enum SeccompAction: Equatable, Sendable {
    /// Kill the whole process at once (`SECCOMP_RET_KILL_PROCESS`), as Firecracker
    /// does: a VMM thread making an unexpected call is treated as compromised.
    case killProcess
    /// Fail the call with this errno (`SECCOMP_RET_ERRNO`); the thread goes on.
    case errno(Int32)
    /// Send SIGSYS to the thread (`SECCOMP_RET_TRAP`).
    case trap
    /// Allow the call but have the kernel log it (`SECCOMP_RET_LOG`, audit log):
    /// for finding what a new code path needs.
    case log

    /// The value the filter returns.
    public var returnValue: UInt32 {
        switch self {
        case .killProcess: return 0x8000_0000
        case .errno(let number): return 0x0005_0000 | (UInt32(truncatingIfNeeded: number) & 0xFFFF)
        case .trap: return 0x0003_0000
        case .log: return 0x7FFC_0000
        }
    }

    /// `SECCOMP_RET_ALLOW`.
    public static let allowValue: UInt32 = 0x7FFF_0000

    /// Parses `kill`, `errno`/`eperm` (EPERM), `trap` or `log`.
    public init?(name: String) {
        switch name {
        case "kill", "kill-process": self = .killProcess
        case "errno", "eperm": self = .errno(1)
        case "trap": self = .trap
        case "log": self = .log
        default: return nil
        }
    }
}
