/// A module file for a multiboot or PVH kernel (`--module FILE[,ARGS]`).
public struct ModuleFile: Sendable, Equatable {
    public var path: String
    /// Words after the path in the module's string; nil: the string is the path alone.
    public var arguments: String?

    public init(path: String, arguments: String? = nil) {
        self.path = path
        self.arguments = arguments
    }

    /// The string the guest sees, as GRUB and QEMU form it: the path, a space and the
    /// arguments.
    public var string: String {
        guard let arguments, !arguments.isEmpty else { return path }
        return "\(path) \(arguments)"
    }

    /// Parses `FILE[,ARGS]`: everything after the first comma is the arguments.
    public static func parse(_ text: String) throws(VMMError) -> ModuleFile {
        let parts = text.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
        guard let path = parts.first, !path.isEmpty else {
            throw .invalidConfiguration(option: "--module", reason: "'\(text)' names no file (use FILE[,ARGS])")
        }
        return ModuleFile(path: String(path), arguments: parts.count > 1 ? String(parts[1]) : nil)
    }
}
