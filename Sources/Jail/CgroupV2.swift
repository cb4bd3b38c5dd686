#if canImport(Glibc)
import Glibc
#endif

/// A cgroup v2 hierarchy: finds it, checks its controllers, and puts the jail in
/// `<mount>/vmm/<id>` with its limits.
public struct CgroupV2: Sendable {
    /// Where the hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts).
    public let mountPoint: String

    public init(mountPoint: String) {
        self.mountPoint = mountPoint
    }

    /// The given mount point, or the first cgroup2 mount in /proc/self/mountinfo.
    public static func find(override: String? = nil) throws(JailError) -> CgroupV2 {
        if let override {
            guard HostFiles.exists(override + "/cgroup.controllers") else {
                throw JailError(.cgroup, "no cgroup v2 hierarchy at \(override) (no cgroup.controllers there)")
            }
            return CgroupV2(mountPoint: override)
        }
        guard let mountInfo = HostFiles.read("/proc/self/mountinfo") else {
            throw JailError(.cgroup, "cannot read /proc/self/mountinfo to find the cgroup v2 hierarchy")
        }
        for line in mountInfo.split(separator: "\n") {
            // "... mount-point options [optional fields] - fstype source super-options"
            let fields = line.split(separator: " ")
            guard fields.count > 5, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count,
                  fields[dash + 1] == "cgroup2" else { continue }
            return CgroupV2(mountPoint: String(fields[4]).replacingOctalEscapes())
        }
        throw JailError(.cgroup, "no cgroup v2 hierarchy is mounted (no cgroup2 in /proc/self/mountinfo)")
    }

    /// The controllers the hierarchy's root offers (its cgroup.controllers).
    public var availableControllers: [String] {
        (HostFiles.read(mountPoint + "/cgroup.controllers") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" })
            .map(String.init)
    }

    /// Fails, naming the controller and the mount, unless every controller the
    /// settings need is available.
    public func checkControllers(for settings: [CgroupSetting]) throws(JailError) {
        let available = availableControllers
        for setting in settings where !available.contains(setting.controller) {
            throw JailError(.cgroup, "cgroup v2 \(setting.controller) controller not available at \(mountPoint) "
                + "(its cgroup.controllers lists: \(available.isEmpty ? "none" : available.joined(separator: " ")))")
        }
    }

    /// Creates `<mount>/vmm/<id>`, enables the controllers on the way, writes the
    /// settings and moves process `pid` (with its future children) into it.
    /// Returns the cgroup's path.
    @discardableResult
    public func place(id: String, settings: [CgroupSetting], pid: pid_t) throws(JailError) -> String {
        try checkControllers(for: settings)
        var controllers: [String] = []
        for setting in settings where !controllers.contains(setting.controller) { controllers.append(setting.controller) }
        let enable = controllers.map { "+" + $0 }.joined(separator: " ")
        let parent = mountPoint + "/vmm", cgroup = parent + "/" + id
        if !enable.isEmpty { try HostFiles.write(enable, to: mountPoint + "/cgroup.subtree_control", step: .cgroup) }
        try HostFiles.makeDirectories(cgroup, step: .cgroup)
        if !enable.isEmpty { try HostFiles.write(enable, to: parent + "/cgroup.subtree_control", step: .cgroup) }
        for setting in settings {
            try HostFiles.write(setting.value, to: cgroup + "/" + setting.file, step: .cgroup)
        }
        try HostFiles.write(String(pid), to: cgroup + "/cgroup.procs", step: .cgroup)
        return cgroup
    }
}

extension String {
    /// Undoes mountinfo's octal escapes ("\040" for a space).
    func replacingOctalEscapes() -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == 0x5C, utf8.count >= 3, let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
