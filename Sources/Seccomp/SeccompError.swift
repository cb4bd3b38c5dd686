/// Why a filter could not be built or installed.
public enum SeccompError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One rule needs more instructions than a BPF jump can skip (255).
    case ruleTooLarge(syscall: Syscall, instructions: Int)
    /// The program is longer than the kernel accepts (`BPF_MAXINSNS`, 4096).
    case programTooLarge(instructions: Int)
    /// `prctl(PR_SET_NO_NEW_PRIVS)` or `seccomp(SECCOMP_SET_MODE_FILTER)` failed.
    case installFailed(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .ruleTooLarge(let syscall, let count):
            return "seccomp rule for \(syscall) needs \(count) BPF instructions (at most 255)"
        case .programTooLarge(let count):
            return "seccomp program of \(count) instructions is longer than 4096"
        case .installFailed(let operation, let errno):
            return "seccomp: \(operation) failed with errno \(errno)"
        }
    }
}
