#if canImport(Glibc)
import Glibc
#endif

/// A step of building or entering the jail, named in its errors.
public enum JailStep: String, Sendable, CaseIterable {
    case options = "options"
    case chroot = "chroot directory"
    case placeFile = "placing a file"
    case device = "device node"
    case cgroup = "cgroup"
    case resourceLimit = "resource limit"
    case netns = "network namespace"
    case namespaces = "namespaces"
    case mount = "mount"
    case pivotRoot = "pivot_root"
    case dropPrivileges = "dropping privileges"
    case access = "access check"
    case exec = "exec"
}

/// Why the jail could not be built: the step and what went wrong, with the
/// offending path or value. Printed as "jail: <step>: <detail>".
public struct JailError: Error, CustomStringConvertible, Sendable, Equatable {
    public let step: JailStep
    public let detail: String

    public init(_ step: JailStep, _ detail: String) {
        self.step = step
        self.detail = detail
    }

    /// `detail` followed by the text of the current `errno`.
    static func errno(_ step: JailStep, _ detail: String, _ code: Int32 = Glibc.errno) -> JailError {
        JailError(step, "\(detail): \(String(cString: strerror(code))) (errno \(code))")
    }

    public var description: String { "jail: \(step.rawValue): \(detail)" }
}

extension JailError {
    /// Writes `text` and a newline to standard error (file descriptor 2).
    public static func printToStandardError(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
