import CHost

#if canImport(Glibc)
import Glibc
#endif

/// Stage one's last step: starts stage two (the `vmm` executable again) in new
/// namespaces, forwards signals to it, and turns its end into an exit status.
public enum JailLauncher {
    /// Which namespaces to create.
    public struct Namespaces: Sendable, Equatable {
        public var mount = true
        public var pid = true
        public var ipc = true
        public var uts = true
        public var network = false

        public init() {}

        var cloneFlags: UInt {
            var flags: UInt = 0
            if mount { flags |= CHOST_CLONE_NEWNS }
            if pid { flags |= CHOST_CLONE_NEWPID }
            if ipc { flags |= CHOST_CLONE_NEWIPC }
            if uts { flags |= CHOST_CLONE_NEWUTS }
            if network { flags |= CHOST_CLONE_NEWNET }
            return flags
        }
    }

    /// Opens a network namespace to join (e.g. /var/run/netns/NAME).
    public static func openNetworkNamespace(_ path: String) throws(JailError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .errno(.netns, "cannot open the network namespace \(path)") }
        return fd
    }

    /// Starts `executable` with `arguments` (argv[0] included) and `environment`
    /// in the namespaces asked for, joining `networkNamespaceFD` if >= 0.
    public static func spawn(executable: String, arguments: [String], environment: [String],
                             namespaces: Namespaces, networkNamespaceFD: Int32 = -1) throws(JailError) -> pid_t {
        var failedStep: Int32 = 0, failedErrno: Int32 = 0
        let pid = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                chost_jail_spawn(namespaces.cloneFlags, networkNamespaceFD, executable, argv, envp,
                                 &failedStep, &failedErrno)
            }
        }
        guard pid < 0 else { return pid }
        switch Int(failedStep) {
        case Int(CHOST_JAIL_STEP_CLONE):
            throw .errno(.namespaces, "clone with new \(namespaces.names) namespaces", failedErrno)
        case Int(CHOST_JAIL_STEP_SETNS):
            throw .errno(.netns, "setns into the network namespace", failedErrno)
        case Int(CHOST_JAIL_STEP_EXEC):
            throw .errno(.exec, "execve \(executable)", failedErrno)
        default:
            throw .errno(.namespaces, "starting the jailed process (step \(failedStep))", failedErrno)
        }
    }

    /// Waits for the jailed process; its exit status, or 128+N if signal N ended it.
    public static func wait(_ pid: pid_t) -> Int32 {
        let status = chost_jail_wait(pid)
        if status < 0 { return 2 }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// A NULL-terminated array of C strings, freed after `body`.
    private static func withCStrings<R>(_ strings: [String],
                                        _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { array[index] = strdup(string) }
        array[strings.count] = nil
        defer {
            for index in 0..<strings.count { free(array[index]) }
            array.deallocate()
        }
        return body(array)
    }
}

extension JailLauncher.Namespaces {
    /// "mount, PID, IPC, UTS" for messages.
    var names: String {
        [(mount, "mount"), (pid, "PID"), (ipc, "IPC"), (uts, "UTS"), (network, "network")]
            .filter(\.0).map(\.1).joined(separator: ", ")
    }
}
