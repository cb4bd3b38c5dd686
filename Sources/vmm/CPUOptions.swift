import ArgumentParser
import CPUModel
#if canImport(Glibc)
import Glibc
#endif

/// The CPUID options of `vmm run` and `vmm cpuid`, turned into a `CPUIDPolicy`.
/// Names, the template and the file are checked here, before KVM is opened;
/// what needs KVM's supported set (adding a feature) is checked when the
/// policy is applied.
struct CPUOptions: ParsableArguments {
    @Option(name: .customLong("cpu-template"),
            help: ArgumentHelp("The guest's CPUID template: host (all KVM supports; default), baseline "
                + "(portable x86-64-v2) or minimal (bare 64-bit).", valueName: "name"))
    var template: String = CPUTemplate.host.rawValue

    @Option(name: .customLong("cpu-features"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("CPUID features to remove or add after the template, e.g. -avx,-xsave,+x2apic "
                + "(names as in /proc/cpuinfo; `vmm cpuid` lists them). Repeatable.", valueName: "list"))
    var features: [String] = []

    @Option(name: .customLong("cpuid-file"),
            help: ArgumentHelp("Raw CPUID register edits, applied last: a JSON array (docs/cpuid.md).",
                               valueName: "file"))
    var cpuidFile: String?

    /// The largest --cpuid-file read.
    static let largestFile = 1 << 20

    /// Rejects bad names, templates and files while the command line is parsed.
    func validate() throws { _ = try policy() }

    func policy() throws -> CPUIDPolicy {
        do {
            let template = try CPUTemplate.named(template)
            let features = try features.flatMap { list throws(CPUIDPolicyError) in try CPUFeatureEdit.parseList(list) }
            let edits = try cpuidFile.map { path throws in try CPUIDEditFile.parse(try Self.readFile(path)) } ?? []
            return CPUIDPolicy(template: template, features: features, edits: edits)
        } catch let error as CPUIDPolicyError {
            let file = error.option == "--cpuid-file" ? " \(cpuidFile ?? "")" : ""
            throw ValidationError("\(error.option)\(file): \(error)")
        }
    }

    /// The file's bytes; a missing or unreadable file is a clear error.
    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ValidationError("--cpuid-file: cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw ValidationError("--cpuid-file: cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            guard bytes.count <= largestFile else {
                throw ValidationError("--cpuid-file: \(path) is larger than the 1 MiB limit")
            }
        }
    }
}
