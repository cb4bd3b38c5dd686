import CPUModel
import Foundation
import KVM
import Testing

/// `vmm cpuid` and the CPUID options of `vmm run`, as a user runs them.
@Suite(requiresKVM) struct CPUIDCommandLineTests {
    private func vmm(_ arguments: [String]) -> Environment.ProcessResult {
        Environment.run([Environment.vmmBinary] + arguments, timeout: 60)
    }

    private func temporaryFile(_ text: String, name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-cpuid-\(getpid())-\(name)")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// What `vmm run` shows the guest equals what `vmm cpuid` prints, for the same options.
    @Test(arguments: [
        ["--cpu-template", "baseline"],
        ["--cpu-template", "minimal", "--cpu-features", "+x2apic,-pat"],
        ["--cpu-features", "-avx,-xsave,-cx16,+x2apic"],
    ])
    func runShowsTheGuestWhatCPUIDPrints(options: [String]) throws {
        let printed = vmm(["cpuid"] + options)
        #expect(printed.status == 0, "\(printed.stderr)")
        let table = CPUIDTable(entries: CPUIDView(parsing: printed.stdout).entries)
        #expect(table.entries.count > 10)
        let run = vmm(["run", "--kernel", try Environment.guest("cpuid.elf"), "--memory", "64M"] + options)
        #expect(run.status == 1, "\(run.stderr)")
        CPUIDComparison.expectEqual(guest: CPUIDView(parsing: run.stdout), expected: table, options.joined(separator: " "))
        #expect(run.stdout.contains("fpu: present"))
    }

    @Test func cpuidListsEveryFeature() {
        let result = vmm(["cpuid", "--cpu-features=-fpu", "--vcpu", "3"])
        #expect(result.status == 0)
        let features = result.stdout.split(separator: "\n").filter { $0.hasPrefix("feature ") }
        #expect(features.count == CPUFeatureCatalog.features.count)
        #expect(features.contains("feature fpu off 0x1.0 edx bit 0"))
        #expect(result.stdout.contains("# swift-vmm CPUID for vCPU 3: template host, features -fpu"))
        let leaf1 = CPUIDView(parsing: result.stdout).entry(1)
        #expect(leaf1.map { $0.ebx >> 24 } == 3, "vCPU 3's APIC ID")
    }

    @Test func baselineWarnsAboutFeaturesKVMLacks() throws {
        let supported = try KVMSystem().supportedCPUID()
        let missing = (CPUTemplate.baseline.features ?? []).filter { name in
            guard let feature = CPUFeatureCatalog.feature(named: name) else { return false }
            return !supported.isSet(feature.location, bit: feature.bit)
        }
        let run = vmm(["run", "--kernel", try Environment.guest("hello.elf"), "--cpu-template", "baseline"])
        #expect(run.status == 1)
        if missing.isEmpty {
            #expect(!run.stderr.contains("CPU template baseline"))
        } else {
            #expect(run.stderr.contains("CPU template baseline: KVM on this host does not support "
                + missing.joined(separator: " ")))
        }
    }

    /// A feature of the catalog KVM does not support here, if any.
    private func unsupportedFeature() throws -> CPUFeature? {
        let supported = try KVMSystem().supportedCPUID()
        return CPUFeatureCatalog.features.first { $0.kind == .processor && !supported.isSet($0.location, bit: $0.bit) }
    }

    @Test func addingAnUnsupportedFeatureFails() throws {
        guard let feature = try unsupportedFeature() else {
            print("skipping: KVM here supports every processor feature in the catalog")
            return
        }
        for command in [["cpuid"], ["run", "--kernel", try Environment.guest("hello.elf")]] {
            let result = vmm(command + ["--cpu-features", "+\(feature.name)"])
            #expect(result.status == 2, "\(command[0]): \(result.stderr)")
            #expect(result.stderr.contains("cannot add \(feature.name) (\(feature.location) bit \(feature.bit)): "
                + "KVM on this host does not support it"), "\(result.stderr)")
            #expect(result.stdout.isEmpty, "no guest ran")
        }
    }

    struct BadInput: CustomTestStringConvertible, Sendable {
        let name: String
        let arguments: [String]
        let file: String?
        let status: Int32
        let message: String
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "unknown feature", arguments: ["--cpu-features", "-avx,+x2apix"], file: nil, status: 64,
                 message: "--cpu-features: unknown CPU feature 'x2apix'; did you mean x2apic"),
        BadInput(name: "malformed feature item", arguments: ["--cpu-features", "+"], file: nil, status: 64,
                 message: "'+' is not a feature edit"),
        BadInput(name: "OS-controlled feature", arguments: ["--cpu-features", "+osxsave"], file: nil, status: 2,
                 message: "cannot add osxsave (0x1.0 ecx bit 27): the guest OS controls this bit"),
        BadInput(name: "paravirtual feature swift-vmm does not offer", arguments: ["--cpu-features", "+kvm_map_gpa_range"],
                 file: nil, status: 2, message: "swift-vmm does not offer it"),
        BadInput(name: "unknown template", arguments: ["--cpu-template", "turbo"], file: nil, status: 64,
                 message: "unknown CPU template 'turbo' (use one of: host, baseline, minimal)"),
        BadInput(name: "not JSON", arguments: [], file: "{leaf: 7,", status: 64,
                 message: "not a JSON array of CPUID edits: line 1, column 2: expected a field name in double quotes"),
        BadInput(name: "JSON but not an array", arguments: [], file: "{\"leaf\": 7}", status: 64,
                 message: "the top level must be an array"),
        BadInput(name: "unknown leaf", arguments: [],
                 file: "[{\"leaf\": \"0x1\", \"register\": \"eax\", \"value\": 1}, {\"leaf\": \"0x7\", \"subleaf\": 9, \"register\": \"ebx\", \"bit\": 0, \"value\": 0}]",
                 status: 2, message: "edit 1, field 'leaf': leaf 0x7 subleaf 9 is not in the CPUID table"),
        BadInput(name: "bit out of range", arguments: [],
                 file: "[{\"leaf\": \"0x1\", \"register\": \"ecx\", \"bit\": 32, \"value\": 0}]",
                 status: 64, message: "edit 0, field 'bit': 32 is out of range (0-31)"),
        BadInput(name: "unknown register", arguments: [],
                 file: "[{\"leaf\": \"0x1\", \"register\": \"esi\", \"value\": 0}]",
                 status: 64, message: "edit 0, field 'register': \"esi\" is not eax, ebx, ecx or edx"),
        BadInput(name: "missing file", arguments: ["--cpuid-file", "/nonexistent/cpuid.json"], file: nil, status: 64,
                 message: "--cpuid-file: cannot read /nonexistent/cpuid.json: No such file or directory"),
    ]

    @Test(arguments: badInputs)
    func badCPUIDInputFailsClearly(input: BadInput) throws {
        var arguments = input.arguments
        if let file = input.file {
            arguments += ["--cpuid-file", try temporaryFile(file, name: input.name.replacingOccurrences(of: " ", with: "-"))]
        }
        for command in [["cpuid"], ["run", "--kernel", try Environment.guest("hello.elf")]] {
            let result = vmm(command + arguments)
            #expect(result.status == input.status, "\(command[0]) \(arguments): \(result.stderr)")
            #expect(result.stderr.contains(input.message), "\(command[0]): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(command[0]): nothing printed, no guest ran")
        }
    }
}
