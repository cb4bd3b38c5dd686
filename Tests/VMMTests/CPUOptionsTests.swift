import CPUModel
@testable import vmm
import Testing
import VMM
#if canImport(Glibc)
import Glibc
#endif

/// The CPUID options of `vmm run` and `vmm cpuid`, parsed without KVM.
@Suite struct CPUOptionsTests {
    @Test func defaultIsTheHostTemplate() throws {
        let configuration = try RunOptions.parse(["--kernel", "g.elf"]).machineConfiguration()
        #expect(configuration.cpuid == CPUIDPolicy())
        #expect(configuration.cpuid.template == .host)
    }

    @Test func templateAndFeaturesReachTheConfiguration() throws {
        let options = try RunOptions.parse(["--kernel", "g.elf", "--cpu-template", "baseline",
                                            "--cpu-features", "-avx,-xsave", "--cpu-features", "+x2apic"])
        let policy = try options.machineConfiguration().cpuid
        #expect(policy.template == .baseline)
        #expect(policy.features.map(\.description) == ["-avx", "-xsave", "+x2apic"])
        #expect(policy.edits.isEmpty)
    }

    @Test func aListStartingWithAMinusIsAValue() throws {
        let options = try RunOptions.parse(["--cpu-features", "-fpu", "--kernel", "g.elf"])
        let policy = try options.machineConfiguration().cpuid
        #expect(policy.features.map(\.description) == ["-fpu"])
    }

    @Test(arguments: [
        (["--cpu-template", "fast"], "unknown CPU template 'fast'"),
        (["--cpu-features", "-avx,+x2apix"], "unknown CPU feature 'x2apix'"),
        (["--cpu-features", "+"], "'+' is not a feature edit"),
        (["--cpuid-file", "/nonexistent/edits.json"], "cannot read /nonexistent/edits.json"),
    ] as [([String], String)])
    func badValuesFailWhileParsing(arguments: [String], message: String) {
        do {
            _ = try RunOptions.parse(["--kernel", "g.elf"] + arguments)
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(RunOptions.message(for: error).contains(message), "\(RunOptions.message(for: error))")
        }
    }

    @Test func editsFileIsParsed() throws {
        let path = "/tmp/vmm-cpuid-options-\(getpid()).json"
        let text = "[{\"leaf\": \"0x1\", \"register\": \"ecx\", \"bit\": 13, \"value\": 0}]"
        guard let file = fopen(path, "w") else { Issue.record("cannot write \(path)"); return }
        fputs(text, file)
        fclose(file)
        defer { unlink(path) }
        let policy = try RunOptions.parse(["--kernel", "g.elf", "--cpuid-file", path]).machineConfiguration().cpuid
        #expect(policy.edits == [CPUIDEdit(leaf: 1, register: .ecx, bit: 13, on: false)])
    }
}
