import KVM
import Memory
import Snapshot

#if canImport(Glibc)
import Glibc
#endif

/// A state file read and checked whole: the machine's shape, the KVM state of
/// the VM and of each vCPU, and each device's section, before any of it is applied.
struct SavedMachine {
    static let memorySection = "memory"
    /// State files larger than this are refused before being read.
    static let largestStateFile = 256 << 20

    let configuration: MachineConfiguration
    let vm: VMSavedState
    let vcpus: [VCPUSavedState]
    let file: StateFile

    /// The names of the device sections a machine of this shape has.
    static func deviceSections(_ configuration: MachineConfiguration, virtioCount: Int) -> [String] {
        ["serial", "i8042", "rtc"] + (0..<virtioCount).map { virtioSectionName($0) }
    }

    static func virtioSectionName(_ index: Int) -> String { "virtio.\(index)" }

    /// Reads `path`, checks magic, version and checksum, decodes the config, VM and
    /// vCPU sections and checks that every device section is present.
    init(path: String) throws(SnapshotError) {
        let file = try StateFile(decoding: Self.read(path))
        var reader = try file.reader(MachineConfiguration.configSection)
        let configuration = try MachineConfiguration.decodeShape(&reader)
        var memory = try file.reader(Self.memorySection)
        let size = try memory.readUInt64("ram size")
        try memory.finish()
        guard size == configuration.memorySize else {
            throw .invalidValue(field: "memory.ram size", reason: "\(size) bytes, but the config says \(configuration.memorySize)")
        }
        var vmReader = try file.reader(VMSavedState.sectionName)
        vm = try VMSavedState.decode(&vmReader)
        var vcpus: [VCPUSavedState] = []
        for index in 0..<configuration.vcpuCount {
            var vcpuReader = try file.reader(VCPUSavedState.sectionName(index))
            vcpus.append(try VCPUSavedState.decode(&vcpuReader))
        }
        if file.section(VCPUSavedState.sectionName(configuration.vcpuCount)) != nil {
            throw .invalidValue(field: VCPUSavedState.sectionName(configuration.vcpuCount),
                                reason: "more vCPU sections than the config's \(configuration.vcpuCount) vCPUs")
        }
        let virtioCount = configuration.drives.count + configuration.nets.count + (configuration.rng ? 1 : 0)
            + (configuration.virtioConsole ? 1 : 0) + (configuration.vsock == nil ? 0 : 1)
        for name in Self.deviceSections(configuration, virtioCount: virtioCount) where file.section(name) == nil {
            throw .missingSection(name)
        }
        self.configuration = configuration
        self.vcpus = vcpus
        self.file = file
    }

    static func read(_ path: String) throws(SnapshotError) -> [UInt8] {
        let file = try SnapshotFile(path: path, flags: O_RDONLY)
        let size = try file.size()
        guard size <= UInt64(largestStateFile) else {
            throw .invalidValue(field: "state file \(path)", reason: "\(size) bytes is more than the \(largestStateFile) limit")
        }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var failure: SnapshotError?
        bytes.withUnsafeMutableBytes { raw in
            do throws(SnapshotError) { try file.read(into: raw, at: 0) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes `bytes` to `path` through a temporary file and a rename, so a crash
    /// never leaves a half-written state file under the name.
    static func write(_ bytes: [UInt8], to path: String) throws(SnapshotError) {
        let temporary = path + ".partial"
        do {
            let file = try SnapshotFile(path: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
            var failure: SnapshotError?
            bytes.withUnsafeBytes { raw in
                do throws(SnapshotError) { try file.write(raw, at: 0) } catch { failure = error }
            }
            if let failure { throw failure }
            try file.sync()
        }
        guard rename(temporary, path) == 0 else {
            throw .io(path: path, reason: "rename from \(temporary) failed: \(String(cString: strerror(errno)))")
        }
    }
}
