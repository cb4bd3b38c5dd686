/// The kinds of thread in the `vmm` process, each with its own allow-list.
///
/// A filter applies to the thread that installs it and to the threads it creates
/// afterwards, and filters stack (the strictest answer wins). So a thread that
/// creates others (the control threads) must allow what its children install and
/// need: `prctl(PR_SET_NO_NEW_PRIVS)`, `seccomp`, and `clone` for threads.
/// The lists were found by tracing every integration test guest family (see
/// docs/security.md); a call missing here kills `vmm` (with the default action).
public enum ThreadKind: String, CaseIterable, Sendable {
    /// A vCPU thread: `KVM_RUN` and a few vCPU ioctls, serial output, eventfd
    /// writes (irqfds), the futexes that park it.
    case vcpu
    /// A device thread: the I/O thread (virtio back ends, TAP, vsock sockets), the
    /// serial input pump and the exit sampler (`--stats-interval`, `--metrics-file`).
    case io
    /// The API's event loop thread (swift-nio): accepts and serves the Unix socket.
    case apiEventLoop
    /// The control threads: the `vmm` main thread after start-up, and the API's
    /// worker thread, which builds, restores, snapshots and reconfigures machines.
    /// They open files and /dev/kvm, create threads and sockets, but never exec,
    /// fork, trace or mount.
    case control

    /// The allow-list, most frequent calls first.
    public var rules: [SyscallRule] {
        switch self {
        case .vcpu: return SyscallLists.vcpu
        case .io: return SyscallLists.io
        case .apiEventLoop: return SyscallLists.apiEventLoop
        case .control: return SyscallLists.control
        }
    }
}

/// The allow-lists themselves.
enum SyscallLists {
    static let cloneThread: UInt32 = 0x0001_0000  // CLONE_THREAD
    static let enosys: Int32 = 38
    static let prSetNoNewPrivs: UInt32 = 38
    static let prSetName: UInt32 = 15
    static let seccompSetModeFilter: UInt32 = 1
    /// What the Swift runtime, Foundation, Dispatch and the C library need on any
    /// thread: memory, futexes, signals masks, clocks, thread exit, writing an error.
    static let runtime: [SyscallRule] = [
        .allow(.futex), .allow(.write), .allow(.mmap), .allow(.munmap), .allow(.mprotect), .allow(.madvise),
        .allow(.mremap), .allow(.brk), .allow(.rt_sigprocmask), .allow(.rt_sigreturn), .allow(.sigaltstack),
        .allow(.clock_gettime), .allow(.clock_nanosleep), .allow(.nanosleep), .allow(.gettid), .allow(.getpid),
        .allow(.tgkill), .allow(.sched_yield), .allow(.getrandom), .allow(.close), .allow(.exit),
        .allow(.exit_group), .allow(.restart_syscall), .allow(.rt_sigaction), .allow(.sched_getaffinity),
        // fstat (glibc: newfstatat(fd, "", AT_EMPTY_PATH); stdio on a stream's first
        // write) and stat: swift-log's StreamLogHandler calls localtime(3), which
        // re-stats /etc/localtime on every log line (the file itself is loaded by
        // tzset() on the main thread before any filter; see installControlFilter).
        .allow(.fstat), .allow(.newfstatat),
    ]

    static let vcpu: [SyscallRule] = [
        .allow(.ioctl, argument: 1, oneOf: KVMRequest.vcpuRunTime),
    ] + runtime + [
        .allow(.writev), .allow(.read),
        // A driver's reset of virtio-vsock (Status 0, on the vCPU thread) closes its
        // connections, taking each socket out of the I/O thread's epoll set.
        .allow(.epoll_ctl),
    ]

    /// Reading and writing descriptors the thread was given (disks, TAP, sockets, eventfds).
    static let descriptorIO: [SyscallRule] = [
        .allow(.epoll_wait), .allow(.epoll_pwait), .allow(.read), .allow(.readv), .allow(.writev),
        .allow(.pread64), .allow(.pwrite64), .allow(.preadv), .allow(.pwritev), .allow(.preadv2),
        .allow(.pwritev2), .allow(.lseek), .allow(.fsync), .allow(.fdatasync),
        .allow(.poll), .allow(.ppoll), .allow(.recvfrom), .allow(.recvmsg), .allow(.sendto), .allow(.sendmsg),
        .allow(.epoll_ctl), .allow(.fcntl), .allow(.shutdown), .allow(.getsockopt), .allow(.setsockopt),
        .allow(.timerfd_settime), .allow(.timerfd_gettime),
    ]

    static let io: [SyscallRule] = descriptorIO + runtime + [
        // vsock: accepting host connections, connecting to `uds_path_PORT` for the guest's.
        .allow(.accept4), .allow(.socket), .allow(.connect),
        // --metrics-file from the exit sampler.
        .allow(.openat), .allow(.rename),
        // virtio-blk discard and write-zeroes punch holes.
        .allow(.fallocate),
    ]

    /// Making threads: clone for threads only (CLONE_THREAD); clone3 hides its flags
    /// in memory, so it is refused with ENOSYS and the C library falls back to clone.
    /// The new thread's start-up calls and what it needs to install its own filter.
    static let threadCreation: [SyscallRule] = [
        SyscallRule(.clone, alternatives: [[.hasBits(0, cloneThread)]]),
        SyscallRule(.clone3, outcome: .fail(errno: enosys)),
        .allow(.set_robust_list), .allow(.rseq), .allow(.setpriority),
        .allow(.prctl, argument: 0, oneOf: [prSetNoNewPrivs, prSetName]),
        .allow(.seccomp, argument: 0, oneOf: [seccompSetModeFilter]),
    ]

    static let apiEventLoop: [SyscallRule] = descriptorIO + runtime + threadCreation + [
        .allow(.accept4), .allow(.getsockname), .allow(.getpeername), .allow(.eventfd2),
        // Closing the listening channel removes the socket file (swift-nio).
        .allow(.unlink),
    ]

    static let control: [SyscallRule] = descriptorIO + runtime + [
        .allow(.ioctl), .allow(.openat), .allow(.open), .allow(.statx), .allow(.access),
        .allow(.faccessat), .allow(.faccessat2), .allow(.readlink), .allow(.readlinkat), .allow(.getdents64),
        .allow(.ftruncate), .allow(.fallocate), .allow(.unlink), .allow(.unlinkat), .allow(.rename),
        .allow(.renameat), .allow(.renameat2), .allow(.mkdir), .allow(.getcwd), .allow(.uname),
        .allow(.sysinfo), .allow(.getuid), .allow(.geteuid), .allow(.getgid), .allow(.getegid),
        .allow(.dup), .allow(.dup2), .allow(.dup3), .allow(.pipe2), .allow(.fstatfs), .allow(.msync),
        .allow(.mincore), .allow(.eventfd2), .allow(.epoll_create1), .allow(.epoll_create), .allow(.timerfd_create),
        .allow(.socket), .allow(.socketpair), .allow(.bind), .allow(.listen), .allow(.connect), .allow(.accept4),
        .allow(.getsockname), .allow(.getpeername), .allow(.kill), .allow(.rt_sigtimedwait),
        .allow(.prlimit64), .allow(.getrusage), .allow(.times),
        .allow(.clock_getres), .allow(.sched_setaffinity), .allow(.copy_file_range), .allow(.sendfile),
        // Dispatch: signal sources are signalfds (its worker threads set their priority: threadCreation).
        .allow(.signalfd4),
    ] + threadCreation
}
