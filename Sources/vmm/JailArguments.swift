import Jail

#if canImport(Glibc)
import Glibc
#endif

/// The `vmm run` arguments given to `vmm jail`, rewritten for the jail.
///
/// Files the VMM reads (`--kernel`, `--initrd`, `--module`, `--drive`, `--config-file`,
/// `--cpuid-file`) are host paths: each is bind-mounted into the jail and its argument
/// rewritten to the jailed path (`/boot/kernel/NAME`, `/boot/initrd/NAME`,
/// `/boot/modules/N/NAME`, `/drives/N/NAME`, `/config/NAME`). A module's string is
/// then its jailed path and arguments.
/// Files and sockets the VMM creates (`--api-sock`, `--vsock uds=`, `--stats-json`,
/// `--trace`, `--metrics-file`) are paths inside the jail, as with Firecracker's
/// jailer: their directory is created there, owned by the jail's uid, and the host
/// sees them under `<base>/<id>/root`. Everything else passes through unchanged.
struct JailArguments: Equatable {
    var arguments: [String] = []
    var mounts: [JailMount] = []
    var devices: [JailDevice] = [.kvm]
    var writableDirectories: [String] = []

    static let inputOptions = ["--kernel", "--initrd", "--module", "--drive", "--config-file", "--cpuid-file"]
    static let outputOptions = ["--api-sock", "--stats-json", "--trace", "--metrics-file", "--vsock"]

    /// Rewrites `run` arguments (a leading "run" is dropped). `uid` is named in errors.
    static func rewrite(_ original: [String], uid: UInt32) throws(JailError) -> JailArguments {
        var result = JailArguments()
        var tokens = original[...]
        if tokens.first == "run" { tokens = tokens.dropFirst() }
        while let token = tokens.popFirst() {
            let name = token.split(separator: "=", maxSplits: 1).first.map(String.init) ?? token
            guard inputOptions.contains(name) || outputOptions.contains(name) || name == "--net" else {
                result.arguments.append(token)
                continue
            }
            let value: String
            if name != token {
                value = String(token.dropFirst(name.count + 1))
            } else if let next = tokens.popFirst() {
                value = next
            } else {
                throw JailError(.options, "\(name) needs a value")
            }
            result.arguments += [name, try result.place(name, value, uid: uid)]
        }
        return result
    }

    /// Records what `option value` needs in the jail; returns the value to pass on.
    private mutating func place(_ option: String, _ value: String, uid: UInt32) throws(JailError) -> String {
        switch option {
        case "--kernel": return bind(value, at: "/boot/kernel", readOnly: true)
        case "--initrd": return bind(value, at: "/boot/initrd", readOnly: true)
        case "--config-file", "--cpuid-file": return bind(value, at: "/config", readOnly: true)
        case "--module":
            let parts = value.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            let count = mounts.count { $0.jailPath.hasPrefix("/boot/modules/") }
            let path = bind(String(parts[0]), at: "/boot/modules/\(count)", readOnly: true)
            return parts.count > 1 ? path + "," + parts[1] : path
        case "--drive":
            let readOnly = value.hasSuffix(",ro")
            let path = readOnly ? String(value.dropLast(3)) : value
            let count = mounts.count { $0.jailPath.hasPrefix("/drives/") }
            return bind(path, at: "/drives/\(count)", readOnly: readOnly) + (readOnly ? ",ro" : "")
        case "--net":
            if !devices.contains(.tun) { devices.append(.tun) }
            return value
        case "--vsock":
            let parts = try value.split(separator: ",", omittingEmptySubsequences: false).map { part throws(JailError) in
                guard part.hasPrefix("uds=") else { return String(part) }
                return "uds=" + (try output("--vsock uds=", String(part.dropFirst(4)), uid: uid))
            }
            return parts.joined(separator: ",")
        default:
            return try output(option, value, uid: uid)
        }
    }

    private mutating func bind(_ hostPath: String, at directory: String, readOnly: Bool) -> String {
        let absolute = hostPath.hasPrefix("/") ? hostPath : Self.currentDirectory() + "/" + hostPath
        let name = absolute.split(separator: "/").last.map(String.init) ?? "file"
        let jailPath = directory + "/" + name
        mounts.append(JailMount(hostPath: absolute, jailPath: jailPath, readOnly: readOnly))
        return jailPath
    }

    /// A path the VMM creates inside the jail: absolute, no "..", in a directory
    /// the jail gives to the uid.
    private mutating func output(_ option: String, _ path: String, uid: UInt32) throws(JailError) -> String {
        let components = path.split(separator: "/")
        guard path.hasPrefix("/"), !components.contains(".."), components.count >= 2 else {
            let name = components.last.map(String.init) ?? "file"
            throw JailError(.options, "\(option)\(option.hasSuffix("=") ? "" : " ")\(path): give an absolute path "
                + "inside the jail, in a directory (e.g. /run/\(name)); the VMM creates it there as uid \(uid), "
                + "and the host sees it under <chroot-base-dir>/<id>/root")
        }
        let directory = "/" + components.dropLast().joined(separator: "/")
        if !writableDirectories.contains(directory) { writableDirectories.append(directory) }
        return path
    }

    private static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
