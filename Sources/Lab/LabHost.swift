import KVM

#if canImport(Glibc)
import Glibc
#endif

/// The machine the figures were measured on: read from /proc, /sys and KVM, and
/// one thing measured (whether KVM emulates guest ring 0).
public struct LabHost: Codable, Sendable {
    public var cpuModel: String
    public var cpuCount: Int
    /// The host's `cpu MHz` from /proc/cpuinfo.
    public var cpuMHz: Double?
    public var kernel: String
    /// The `hypervisor` CPUID flag: this Linux itself runs in a VM, so KVM here is nested.
    public var hypervisorFlag: Bool
    /// `vmx` or `svm` in /proc/cpuinfo (hardware virtualization visible to this kernel).
    public var hardwareVirtualizationFlag: String?
    /// Loaded KVM modules: kvm_intel, kvm_amd, kvm_pvm (/sys/module).
    public var kvmModules: [String]
    public var kvmAPIVersion: Int32
    public var nestedStateCapability: Int32
    /// /sys/kernel/mm/transparent_hugepage/enabled, the selected mode.
    public var transparentHugePages: String
    /// The guest TSC rate KVM reports (KVM_GET_TSC_KHZ), used to convert guest cycles.
    public var guestTSCKHz: UInt64
    /// Instructions KVM's emulator ran for the lab guest's CPL 0 start (KVM's
    /// `insn_emulation` statistic); nil when the kernel has no statistics.
    public var emulatedBootInstructions: UInt64?

    public var nested: Bool { hypervisorFlag }
    public var ringZeroEmulated: Bool { (emulatedBootInstructions ?? 0) >= 10 }

    /// The description printed above the tables.
    public var lines: [String] {
        var lines: [String] = []
        lines.append("host: \(cpuModel), \(cpuCount) CPUs\(cpuMHz.map { " at \(LabFormat.fixed($0, 0)) MHz" } ?? ""), "
            + "Linux \(kernel)")
        let modules = kvmModules.isEmpty ? "no KVM module listed in /sys/module" : kvmModules.joined(separator: ", ")
        let nesting = hypervisorFlag
            ? "nested: the CPU reports the hypervisor flag, so this Linux is itself a guest"
            : "not nested: no hypervisor flag"
        lines.append("KVM: API \(kvmAPIVersion), modules \(modules); \(nesting); "
            + "\(hardwareVirtualizationFlag.map { "\($0) flag present" } ?? "no vmx/svm flag"); "
            + "KVM_CAP_NESTED_STATE \(nestedStateCapability)")
        if let emulated = emulatedBootInstructions {
            lines.append(ringZeroEmulated
                ? "guest ring 0: EMULATED here (KVM's emulator ran \(emulated) instructions of the lab guest's CPL 0 "
                    + "start); CPL 3 runs natively, so the loops run at CPL 3, except the privileged ones of "
                    + "msr-bitmap, halt and cpuid-lie (CPL 0: emulated)"
                : "guest ring 0: runs natively (KVM's emulator ran \(emulated) instructions of the lab guest's start)")
        } else {
            lines.append("guest ring 0: unknown (no KVM statistics)")
        }
        lines.append("guest TSC: \(LabFormat.grouped(guestTSCKHz)) kHz (KVM_GET_TSC_KHZ), used to turn cycles into ns; "
            + "transparent huge pages: \(transparentHugePages)")
        return lines
    }

    /// Reads the host; boots the lab guest once (n = 0) for the TSC rate and the
    /// emulation count.
    public static func probe() throws(LabError) -> LabHost {
        let cpuinfo = readTextFile("/proc/cpuinfo") ?? ""
        let flags = Set(field("flags", in: cpuinfo)?.split(separator: " ").map(String.init) ?? [])
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let system: KVMSystem
        do { system = try KVMSystem() } catch { throw .machine("KVM is not usable: \(error)") }
        let run = try LabGuest.run(LabGuestRequest(.native, n: 0))
        return LabHost(
            cpuModel: field("model name", in: cpuinfo) ?? "unknown CPU",
            cpuCount: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            cpuMHz: field("cpu MHz", in: cpuinfo).flatMap(Double.init),
            kernel: release,
            hypervisorFlag: flags.contains("hypervisor"),
            hardwareVirtualizationFlag: flags.contains("vmx") ? "vmx" : flags.contains("svm") ? "svm" : nil,
            kvmModules: ["kvm_intel", "kvm_amd", "kvm_pvm"].filter { access("/sys/module/\($0)", F_OK) == 0 },
            kvmAPIVersion: KVMSystem.stableAPIVersion,
            nestedStateCapability: system.check(Capability(name: "KVM_CAP_NESTED_STATE", rawValue: 157)),
            transparentHugePages: selectedMode(readTextFile("/sys/kernel/mm/transparent_hugepage/enabled")),
            guestTSCKHz: run.tscKHz,
            emulatedBootInstructions: run.report.kvmCounter("insn_emulation"))
    }

    /// The value of the first `key : value` line of /proc/cpuinfo-style text.
    static func field(_ key: String, in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters() == key else { continue }
            return parts[1].trimmingCharacters()
        }
        return nil
    }

    /// The bracketed choice of a /sys setting such as `always [madvise] never`.
    static func selectedMode(_ text: String?) -> String {
        guard let text, let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]"), open < close else {
            return "unknown"
        }
        return String(text[text.index(after: open)..<close])
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

/// The whole content of a (small, procfs or sysfs) text file, or nil.
func readTextFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}
