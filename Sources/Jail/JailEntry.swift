import CHost

#if canImport(Glibc)
import Glibc
#endif

/// Stage two, inside the new namespaces (PID 1 there) and still root: binds the
/// host files into the root, pivots into it and detaches the old root, applies
/// the resource limits and drops to the jail's uid and gid. After `enter`, the
/// process sees only the root and cannot get privileges back.
public struct JailEntry: Sendable {
    public var rootPath: String
    public var uid: UInt32
    public var gid: UInt32
    public var mounts: [JailMount]
    /// Paths inside the jail the VMM must be able to open read-write (device nodes).
    public var devices: [String]
    public var resourceLimits: [ResourceLimit]

    public init(rootPath: String, uid: UInt32, gid: UInt32, mounts: [JailMount], devices: [String],
                resourceLimits: [ResourceLimit]) {
        self.rootPath = rootPath
        self.uid = uid
        self.gid = gid
        self.mounts = mounts
        self.devices = devices
        self.resourceLimits = resourceLimits
    }

    public func enter() throws(JailError) {
        try bindFiles()
        try mountProc()
        try pivot()
        for limit in resourceLimits { try limit.apply() }
        try dropPrivileges()
        try checkAccess()
    }

    /// Makes every mount private (nothing propagates back to the host), makes the
    /// root a mount point, and binds each file over its placeholder.
    func bindFiles() throws(JailError) {
        guard mount(nil, "/", nil, UInt(MS_REC | MS_PRIVATE), nil) == 0 else {
            throw .errno(.mount, "making / private (MS_REC | MS_PRIVATE)")
        }
        guard mount(rootPath, rootPath, nil, UInt(MS_BIND | MS_REC), nil) == 0 else {
            throw .errno(.mount, "binding \(rootPath) onto itself")
        }
        for file in mounts {
            let target = rootPath + file.jailPath
            guard mount(file.hostPath, target, nil, UInt(MS_BIND), nil) == 0 else {
                throw .errno(.mount, "binding \(file.hostPath) to \(file.jailPath)")
            }
            var flags = UInt(MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC)
            if file.readOnly { flags |= UInt(MS_RDONLY) }
            guard mount(nil, target, nil, flags, nil) == 0 else {
                throw .errno(.mount, "remounting \(file.jailPath) \(file.readOnly ? "read-only, " : "")nosuid, nodev, noexec")
            }
        }
    }

    /// libdispatch's thread-pool monitor reads /proc/<tid>/stat and crashes the
    /// process (SIGILL) when it cannot, so the jail gets a /proc of its own: only
    /// the process directories (`subset=pid`, Linux 5.8+), only the uid's own
    /// (`hidepid=invisible`), and, with the PID namespace, only the jail's processes.
    func mountProc() throws(JailError) {
        let target = rootPath + "/proc"
        let flags = UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)
        if mount("proc", target, "proc", flags, "subset=pid,hidepid=invisible") == 0 { return }
        guard errno == EINVAL, mount("proc", target, "proc", flags, "hidepid=2") == 0 else {
            throw .errno(.mount, "mounting proc at \(target)")
        }
    }

    /// pivot_root(".", ".") stacks the old root on the new one; unmounting it
    /// (detached) leaves only the jail.
    func pivot() throws(JailError) {
        guard chdir(rootPath) == 0 else { throw .errno(.pivotRoot, "chdir \(rootPath)") }
        guard chost_pivot_root(".", ".") == 0 else { throw .errno(.pivotRoot, "pivot_root into \(rootPath)") }
        guard umount2(".", Int32(MNT_DETACH)) == 0 else { throw .errno(.pivotRoot, "detaching the old root") }
        guard chdir("/") == 0 else { throw .errno(.pivotRoot, "chdir / in the jail") }
    }

    /// setgroups, setgid, setuid (in that order: setgid needs the privilege
    /// setuid gives up), then no_new_privs; checks that root cannot be regained.
    func dropPrivileges() throws(JailError) {
        var groups = [gid_t(gid)]
        guard setgroups(1, &groups) == 0 else { throw .errno(.dropPrivileges, "setgroups [\(gid)]") }
        guard setgid(gid) == 0 else { throw .errno(.dropPrivileges, "setgid \(gid)") }
        guard setuid(uid) == 0 else { throw .errno(.dropPrivileges, "setuid \(uid)") }
        guard chost_set_no_new_privs() == 0 else { throw .errno(.dropPrivileges, "prctl(PR_SET_NO_NEW_PRIVS)") }
        if uid != 0 && setuid(0) == 0 {
            throw JailError(.dropPrivileges, "uid \(uid) could set its uid back to 0")
        }
        // The parent-death signal is cleared by a change of credentials; ask again.
        _ = chost_set_parent_death_signal(SIGKILL)
    }

    /// The VMM opens these after the drop: say now, by name, what the uid cannot open.
    func checkAccess() throws(JailError) {
        for file in mounts {
            let mode = file.readOnly ? R_OK : R_OK | W_OK
            if access(file.jailPath, mode) != 0 {
                throw .errno(.access, "uid \(uid) cannot \(file.readOnly ? "read" : "read and write") \(file.jailPath) "
                    + "(the host's \(file.hostPath); give it to the uid or choose another --uid)")
            }
        }
        for device in devices where access(device, R_OK | W_OK) != 0 {
            throw .errno(.access, "uid \(uid) cannot open \(device) read-write")
        }
    }
}
