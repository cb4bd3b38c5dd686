/// Everything `vmm jail` does, as plain data: who the VMM runs as, where its
/// root is, what goes in it, which namespaces and limits apply.
public struct JailPlan: Sendable {
    /// The jail's name: `<base>/<id>/root` is its root, `vmm/<id>` its cgroup.
    public var id: String
    public var uid: UInt32
    public var gid: UInt32
    /// The directory holding the jails (created if missing).
    public var chrootBaseDirectory: String
    /// Host files bound into the root.
    public var mounts: [JailMount] = []
    /// Device nodes created in the root, owned by `uid`:`gid`, mode 0600.
    public var devices: [JailDevice] = []
    /// Directories created in the root and owned by `uid`:`gid` (where the VMM
    /// creates its sockets and output files).
    public var writableDirectories: [String] = []
    /// The network namespace.
    public var network: NetworkNamespace = .host
    /// cgroup v2 limits; empty: no cgroup is created.
    public var cgroupSettings: [CgroupSetting] = []
    /// The cgroup v2 mount; nil: found in /proc/self/mountinfo.
    public var cgroupRoot: String?
    /// setrlimit limits applied before dropping privileges.
    public var resourceLimits: [ResourceLimit] = []

    public init(id: String, uid: UInt32, gid: UInt32, chrootBaseDirectory: String) {
        self.id = id
        self.uid = uid
        self.gid = gid
        self.chrootBaseDirectory = chrootBaseDirectory
    }

    /// `<base>/<id>/root`.
    public var rootPath: String {
        let base = chrootBaseDirectory.hasSuffix("/") ? String(chrootBaseDirectory.dropLast()) : chrootBaseDirectory
        return "\(base)/\(id)/root"
    }

    /// The host path of a path inside the jail.
    public func hostPath(ofJailPath path: String) -> String {
        rootPath + (path.hasPrefix("/") ? path : "/" + path)
    }

    /// An id is 1 to 64 letters, digits, '-' or '_' (it names a directory and a cgroup).
    public static func isValidID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x5F
            }
    }
}

/// Which network namespace the jailed VMM lives in.
public enum NetworkNamespace: Sendable, Equatable {
    /// The host's (no new namespace).
    case host
    /// A new, empty one (only a loopback interface, down).
    case new
    /// An existing one, e.g. /var/run/netns/NAME holding the TAP device.
    case join(path: String)
}
