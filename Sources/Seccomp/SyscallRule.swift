/// A condition on one argument of a system call: `(argument & mask) == value`.
///
/// Arguments are 64-bit; a mask whose high half is zero checks the low 32 bits only,
/// which is what an `ioctl` request needs (the kernel takes it as `unsigned int`, and
/// a caller may sign-extend it).
public struct ArgumentCheck: Equatable, Sendable {
    public var index: Int
    public var mask: UInt64
    public var value: UInt64

    public init(index: Int, mask: UInt64 = .max, value: UInt64) {
        precondition((0..<6).contains(index), "a system call has arguments 0 to 5")
        self.index = index
        self.mask = mask
        self.value = value & mask
    }

    /// The low 32 bits of argument `index` equal `value`.
    public static func low32(_ index: Int, equals value: UInt32) -> ArgumentCheck {
        ArgumentCheck(index: index, mask: 0xFFFF_FFFF, value: UInt64(value))
    }

    /// Every bit of `bits` is set in argument `index` (low 32 bits).
    public static func hasBits(_ index: Int, _ bits: UInt32) -> ArgumentCheck {
        ArgumentCheck(index: index, mask: UInt64(bits), value: UInt64(bits))
    }
}

/// What one allow-list entry says about a system call.
public struct SyscallRule: Equatable, Sendable {
    public enum Outcome: Equatable, Sendable {
        case allow
        /// Refuse with this errno whatever the filter's action (e.g. ENOSYS for
        /// `clone3`, so that the C library falls back to `clone`, whose flags a
        /// filter can see).
        case fail(errno: Int32)
    }

    public var syscall: Syscall
    /// The call is allowed when every check of at least one alternative holds;
    /// no alternatives: always.
    public var alternatives: [[ArgumentCheck]]
    public var outcome: Outcome

    public init(_ syscall: Syscall, alternatives: [[ArgumentCheck]] = [], outcome: Outcome = .allow) {
        self.syscall = syscall
        self.alternatives = alternatives
        self.outcome = outcome
    }

    /// Allowed whatever its arguments.
    public static func allow(_ syscall: Syscall) -> SyscallRule { SyscallRule(syscall) }

    /// Allowed when argument `index` (low 32 bits) is one of `values`.
    public static func allow(_ syscall: Syscall, argument index: Int, oneOf values: [UInt32]) -> SyscallRule {
        SyscallRule(syscall, alternatives: values.map { [.low32(index, equals: $0)] })
    }
}
