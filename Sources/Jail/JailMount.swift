/// A host file bind-mounted into the jail (a kernel, an initrd, a drive image,
/// a configuration file). Bind mounts, not copies: writes reach the operator's
/// file, and the mount ends with the jail's mount namespace.
public struct JailMount: Sendable, Equatable {
    /// The file on the host.
    public var hostPath: String
    /// Where the VMM sees it: an absolute path inside the jail.
    public var jailPath: String
    /// Mounted read-only (kernel, initrd, `,ro` drives).
    public var readOnly: Bool

    public init(hostPath: String, jailPath: String, readOnly: Bool) {
        self.hostPath = hostPath
        self.jailPath = jailPath
        self.readOnly = readOnly
    }

    /// The form passed to the jail's second stage: "ro:JAIL:HOST" or "rw:JAIL:HOST".
    public var encoded: String { "\(readOnly ? "ro" : "rw"):\(jailPath):\(hostPath)" }

    /// Parses `encoded` (the host path may contain colons; the jail path may not).
    public static func decode(_ text: String) -> JailMount? {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "ro" || parts[0] == "rw", parts[1].hasPrefix("/"), !parts[2].isEmpty
        else { return nil }
        return JailMount(hostPath: String(parts[2]), jailPath: String(parts[1]), readOnly: parts[0] == "ro")
    }
}

/// A character device the VMM opens, recreated in the jail with mknod.
public struct JailDevice: Sendable, Equatable {
    /// The host's node, whose device number is copied (e.g. /dev/kvm).
    public var hostPath: String
    /// Its path inside the jail (the same as on the host).
    public var jailPath: String

    public init(hostPath: String, jailPath: String? = nil) {
        self.hostPath = hostPath
        self.jailPath = jailPath ?? hostPath
    }

    public static let kvm = JailDevice(hostPath: "/dev/kvm")
    public static let tun = JailDevice(hostPath: "/dev/net/tun")
}
