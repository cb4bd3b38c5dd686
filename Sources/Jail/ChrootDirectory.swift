import CHost

#if canImport(Glibc)
import Glibc
#endif

/// Stage one, on the host: builds `<base>/<id>/root` with the placeholders the
/// bind mounts cover, the device nodes (mknod, owned by the jail's uid) and the
/// directories the VMM writes in. Nothing is copied.
public enum ChrootDirectory {
    /// Creates the root and everything in it `plan` lists. Existing entries are
    /// reused (device nodes are recreated), so a jail id can be run again.
    public static func prepare(_ plan: JailPlan) throws(JailError) {
        guard JailPlan.isValidID(plan.id) else {
            throw JailError(.options, "--id '\(plan.id)' must be 1 to 64 letters, digits, '-' or '_'")
        }
        try HostFiles.makeDirectories(plan.chrootBaseDirectory, step: .chroot)
        try HostFiles.makeDirectories(plan.rootPath, step: .chroot)
        guard chmod(plan.rootPath, 0o755) == 0 else { throw .errno(.chroot, "cannot chmod \(plan.rootPath)") }
        try HostFiles.makeDirectories(plan.rootPath + "/proc", step: .chroot)
        for mount in plan.mounts { try placeholder(for: mount, in: plan) }
        if !plan.devices.isEmpty { try checkDevicesAllowed(plan.rootPath) }
        for device in plan.devices { try makeNode(device, in: plan) }
        for directory in plan.writableDirectories {
            let path = plan.hostPath(ofJailPath: directory)
            try refuseSymbolicLinks(directory, in: plan)
            try HostFiles.makeDirectories(path, step: .chroot)
            guard chown(path, plan.uid, plan.gid) == 0, chmod(path, 0o700) == 0 else {
                throw .errno(.chroot, "cannot give \(path) to uid \(plan.uid) gid \(plan.gid)")
            }
        }
    }

    /// Checks the host file and creates the empty file its bind mount covers.
    static func placeholder(for mount: JailMount, in plan: JailPlan) throws(JailError) {
        var status = stat()
        guard stat(mount.hostPath, &status) == 0 else {
            throw .errno(.placeFile, "\(mount.hostPath) (to be \(mount.jailPath) in the jail)")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw JailError(.placeFile, "\(mount.hostPath) (to be \(mount.jailPath) in the jail) is not a regular file")
        }
        let target = plan.hostPath(ofJailPath: mount.jailPath)
        try refuseSymbolicLinks(mount.jailPath, in: plan)
        try HostFiles.makeDirectories(HostFiles.parent(of: target), step: .placeFile)
        let fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .errno(.placeFile, "cannot create the mount point \(target)") }
        close(fd)
    }

    /// Device nodes do not open on a filesystem mounted nodev.
    static func checkDevicesAllowed(_ root: String) throws(JailError) {
        var info = statvfs()
        guard statvfs(root, &info) == 0 else { throw .errno(.device, "statvfs \(root)") }
        if info.f_flag & CHOST_ST_NODEV != 0 {
            throw JailError(.device, "\(root) is on a filesystem mounted nodev: device nodes there cannot be opened; "
                + "choose another --chroot-base-dir")
        }
    }

    /// mknod with the host node's device number, owned by the jail's uid, mode 0600.
    static func makeNode(_ device: JailDevice, in plan: JailPlan) throws(JailError) {
        var status = stat()
        guard stat(device.hostPath, &status) == 0 else { throw .errno(.device, "the host has no \(device.hostPath)") }
        guard (status.st_mode & S_IFMT) == S_IFCHR else {
            throw JailError(.device, "\(device.hostPath) is not a character device")
        }
        let target = plan.hostPath(ofJailPath: device.jailPath)
        try refuseSymbolicLinks(device.jailPath, in: plan)
        try HostFiles.makeDirectories(HostFiles.parent(of: target), step: .device)
        if HostFiles.exists(target) && unlink(target) != 0 { throw .errno(.device, "cannot replace \(target)") }
        guard mknod(target, S_IFCHR | 0o600, status.st_rdev) == 0 else {
            throw .errno(.device, "mknod \(target) (\(chost_major(UInt(status.st_rdev))):\(chost_minor(UInt(status.st_rdev))))")
        }
        guard chown(target, plan.uid, plan.gid) == 0 else {
            throw .errno(.device, "cannot give \(target) to uid \(plan.uid) gid \(plan.gid)")
        }
    }

    /// A reused root may hold what an earlier jailed VMM left in its directories: a
    /// symbolic link there would make root chown or create files outside the jail.
    /// Refuses any link on the way to `jailPath` (one jail per id at a time).
    static func refuseSymbolicLinks(_ jailPath: String, in plan: JailPlan) throws(JailError) {
        var current = plan.rootPath
        for component in jailPath.split(separator: "/") {
            current += "/" + component
            var status = stat()
            guard lstat(current, &status) == 0 else { return }
            if (status.st_mode & S_IFMT) == S_IFLNK {
                throw JailError(.chroot, "\(current) is a symbolic link (left by an earlier run?); "
                    + "remove \(plan.rootPath) and run again")
            }
        }
    }
}
