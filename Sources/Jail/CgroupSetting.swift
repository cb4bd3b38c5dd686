/// One cgroup v2 interface file and the value written to it, e.g.
/// `cpu.max` = "50000 100000" or `memory.max` = "268435456".
public struct CgroupSetting: Sendable, Equatable {
    /// The file, `<controller>.<name>`.
    public var file: String
    public var value: String

    public init(file: String, value: String) {
        self.file = file
        self.value = value
    }

    /// The controller the file belongs to ("cpu" for "cpu.max").
    public var controller: String { String(file.prefix { $0 != "." }) }

    /// Parses "FILE=VALUE" (FILE as `controller.name`, no '/').
    public static func parse(_ text: String) throws(JailError) -> CgroupSetting {
        guard let equals = text.firstIndex(of: "=") else {
            throw JailError(.cgroup, "'\(text)' is not FILE=VALUE (e.g. memory.max=268435456)")
        }
        let file = String(text[..<equals]), value = String(text[text.index(after: equals)...])
        let parts = file.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty }), !file.contains("/"), file != "cgroup.procs" else {
            throw JailError(.cgroup, "'\(file)' is not a cgroup interface file such as cpu.max or memory.max")
        }
        guard !value.isEmpty, !value.contains("\n") else {
            throw JailError(.cgroup, "the value for \(file) is empty or has a newline")
        }
        return CgroupSetting(file: file, value: value)
    }
}
