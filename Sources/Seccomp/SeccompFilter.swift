import CHost

#if canImport(Glibc)
import Glibc
#endif

/// A built seccomp-bpf program, ready to install on the calling thread.
public struct SeccompFilter: Sendable {
    /// The thread kind it was built for (nil: custom rules).
    public let kind: ThreadKind?
    public let action: SeccompAction
    public let program: [BPFInstruction]

    /// A filter that allows `rules` and applies `action` to everything else.
    public init(rules: [SyscallRule], action: SeccompAction) throws(SeccompError) {
        self.kind = nil
        self.action = action
        self.program = try SeccompProgram.build(rules: rules, action: action)
    }

    /// The allow-list of `kind` (see `ThreadKind.rules`).
    public init(_ kind: ThreadKind, action: SeccompAction = .killProcess) throws(SeccompError) {
        self.kind = kind
        self.action = action
        self.program = try SeccompProgram.build(rules: kind.rules, action: action)
    }

    /// Installs the filter on the calling thread; threads it creates later inherit it.
    /// Sets `PR_SET_NO_NEW_PRIVS` first (needed without CAP_SYS_ADMIN, and it makes
    /// `execve` unable to gain privileges). Filters stack: every installed filter is
    /// asked, and the strictest answer wins. No `TSYNC`: other threads are untouched.
    public func install() throws(SeccompError) {
        let instructions = program.map { sock_filter(code: $0.code, jt: $0.jt, jf: $0.jf, k: $0.k) }
        var step: Int32 = 0
        let result = instructions.withUnsafeBufferPointer { buffer in
            chost_seccomp_install(buffer.baseAddress, UInt16(buffer.count), &step)
        }
        guard result == 0 else {
            throw .installFailed(operation: step == 1 ? "prctl(PR_SET_NO_NEW_PRIVS)" : "seccomp(SECCOMP_SET_MODE_FILTER)",
                                 errno: errno)
        }
    }

    /// Builds and installs `kind`'s filter on the calling thread, unless `action` is nil.
    public static func install(_ kind: ThreadKind, action: SeccompAction?) throws(SeccompError) {
        guard let action else { return }
        try SeccompFilter(kind, action: action).install()
    }
}
