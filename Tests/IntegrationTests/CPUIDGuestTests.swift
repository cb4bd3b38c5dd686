import CPUModel
import Foundation
import KVM
import Testing
import VMM

/// cpuid.elf under each CPUID policy: what the guest reads must be the policy's
/// table, bit for bit (see CPUIDComparison for the bits that are not the VMM's),
/// and the guest takes the FPU path its CPUID tells it to.
@Suite(requiresKVM) struct CPUIDGuestTests {
    struct Outcome {
        let run: GuestRun
        let view: CPUIDView
        let result: CPUIDPolicyResult
        var expected: CPUIDTable { result.table.withAPICID(0) }
        var fpuLines: [String] { run.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("fpu: ") } }
    }

    static func boot(_ policy: CPUIDPolicy, commandLine: String = "") throws -> Outcome {
        let result = try policy.apply(to: try KVMSystem().supportedCPUID())
        let run = try GuestRun.boot(guest: "cpuid.elf", commandLine: commandLine) { $0.cpuid = policy }
        return Outcome(run: run, view: CPUIDView(parsing: run.output), result: result)
    }

    /// The leaves cpuid.elf prints for `table` (it reads leaf 7's subleaf count itself).
    static func leavesPrinted(for table: CPUIDTable, guest: CPUIDView) -> [String] {
        var leaves: [(UInt32, UInt32)] = [(0, 0), (1, 0)]
        let maxBasic = table.entry(function: 0)?.eax ?? 0
        if maxBasic >= 6 { leaves.append((6, 0)) }
        if maxBasic >= 7 {
            leaves.append((7, 0))
            if (guest.entry(7)?.eax ?? 0) >= 1 { leaves.append((7, 1)) }
        }
        if maxBasic >= 0xD { leaves += [(0xD, 0), (0xD, 1)] }
        let maxExtended = table.entry(function: 0x8000_0000)?.eax ?? 0
        leaves.append((0x8000_0000, 0))
        for leaf: UInt32 in [0x8000_0001, 0x8000_0007, 0x8000_0008] where maxExtended >= leaf { leaves.append((leaf, 0)) }
        leaves.append((0x4000_0000, 0))
        let maxHypervisor = table.entry(function: 0x4000_0000)?.eax ?? 0
        if maxHypervisor >= 0x4000_0001 && maxHypervisor < 0x4000_0100 { leaves.append((0x4000_0001, 0)) }
        leaves.append((0x4000_0100, 0))
        return leaves.map { "\(String($0.0, radix: 16)).\($0.1)" }
    }

    /// The whole check of one run: exit, leaves, registers, every named feature.
    static func expectMatches(_ outcome: Outcome, _ context: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.run.reason == .debugExit(status: 1), "\(context): \(outcome.run.reason.summary)",
                sourceLocation: sourceLocation)
        let printed = outcome.view.entries.map { "\(String($0.function, radix: 16)).\($0.index)" }
        #expect(printed == leavesPrinted(for: outcome.expected, guest: outcome.view), "\(context)",
                sourceLocation: sourceLocation)
        let compared = CPUIDComparison.expectEqual(guest: outcome.view, expected: outcome.expected, context,
                                                   sourceLocation: sourceLocation)
        #expect(compared > 300, "\(context): only \(compared) bits compared", sourceLocation: sourceLocation)
        for feature in CPUFeatureCatalog.features where CPUIDComparison.comparable(feature, in: outcome.view) {
            let seen = (outcome.view[feature.location] ?? 0) & feature.mask != 0
            #expect(seen == outcome.result.isEnabled(feature), "\(context): \(feature.name)",
                    sourceLocation: sourceLocation)
        }
        CPUIDComparison.printPassThroughNote
    }

    @Test(arguments: CPUTemplate.allCases)
    func guestSeesTheTemplate(template: CPUTemplate) throws {
        let outcome = try Self.boot(CPUIDPolicy(template: template))
        Self.expectMatches(outcome, "template \(template)")
        // The template's meaning, independent of the table: its features on where
        // KVM supports them, every other processor feature off.
        if let kept = template.features {
            for feature in CPUFeatureCatalog.features where feature.kind == .processor
                && CPUIDComparison.comparable(feature, in: outcome.view) {
                let seen = (outcome.view[feature.location] ?? 0) & feature.mask != 0
                let wanted = kept.contains(feature.name) && outcome.result.isSupported(feature)
                #expect(seen == wanted, "\(template): \(feature.name)")
            }
            #expect(outcome.view.entry(0)?.eax == min(0xD, outcome.result.supported.entry(function: 0)?.eax ?? 0))
            #expect(outcome.view.entry(0x8000_0000)?.eax == 0x8000_0008)
        }
        #expect(outcome.fpuLines.first?.hasPrefix("fpu: present") == true, "\(outcome.fpuLines)")
    }

    @Test func featureEditsReachTheGuest() throws {
        // The example on the host template: cx16 goes, x2apic stays.
        let example = try Self.boot(CPUIDPolicy(features: CPUFeatureEdit.parseList("-avx,-xsave,-cx16,+x2apic")))
        Self.expectMatches(example, "-avx,-xsave,-cx16,+x2apic")
        #expect(example.view[.leaf1ECX].map { $0 & (1 << 13) } == 0, "cx16 hidden")
        #expect(example.view[.leaf1ECX].map { $0 & (1 << 21) } == 1 << 21, "x2apic shown")

        // Adding to the minimal template what it leaves out.
        let added = try Self.boot(CPUIDPolicy(template: .minimal,
                                              features: CPUFeatureEdit.parseList("+x2apic,+tsc_deadline_timer,-pat")))
        Self.expectMatches(added, "minimal +x2apic,+tsc_deadline_timer,-pat")
        #expect(added.view[.leaf1ECX].map { $0 & (1 << 21 | 1 << 24) } == 1 << 21 | 1 << 24)
    }

    @Test func rawEditsReachTheGuest() throws {
        let edits = try CPUIDEditFile.parse(Array("""
            [ {"leaf": "0x1", "register": "eax", "value": "0x000806f8", "comment": "family 6, model 0x8f"},
              {"leaf": "0x1", "register": "ecx", "bit": 13, "value": 0},
              {"leaf": "0x80000001", "register": "ecx", "mask": "0x1", "value": "0x0"},
              {"leaf": "0x80000008", "register": "eax", "mask": "0xff", "value": "0x27"} ]
            """.utf8))
        let outcome = try Self.boot(CPUIDPolicy(edits: edits))
        Self.expectMatches(outcome, "raw edits")
        #expect(outcome.view.entry(1)?.eax == 0x0008_06F8)
        #expect(outcome.view[.leaf1ECX].map { $0 & (1 << 13) } == 0)
        #expect(outcome.view[.extended1ECX].map { $0 & 1 } == 0, "lahf_lm cleared")
        #expect(outcome.view.entry(0x8000_0008).map { $0.eax & 0xFF } == 0x27, "39 physical address bits")
    }

    @Test func hypervisorLeavesCarryBothSignatures() throws {
        let outcome = try Self.boot(CPUIDPolicy())
        let kvm = try #require(outcome.view.entry(0x4000_0000))
        #expect(HypervisorLeaves.signature(of: kvm) == "KVMKVMKVM\0\0\0")
        #expect(kvm.eax == 0x4000_0001)
        let ours = try #require(outcome.view.entry(0x4000_0100))
        #expect(HypervisorLeaves.signature(of: ours) == "SwiftVMM\0\0\0\0")
        let supportedPV = outcome.result.supported.entry(function: 0x4000_0001)?.eax ?? 0
        #expect(outcome.view.entry(0x4000_0001)?.eax == supportedPV & HypervisorLeaves.offeredFeatures)
        #expect(outcome.view.entry(0x4000_0001)?.edx == 0)
    }

    @Test func guestWithAnFPURunsX87() throws {
        let outcome = try Self.boot(CPUIDPolicy())
        #expect(outcome.fpuLines == ["fpu: present: fninit gives fsw 0x0000, fcw 0x037f",
                                     "fpu: fld1 + fld1 at CPL 3 = 0x4000000000000000"])
        #expect(outcome.run.reason == .debugExit(status: 1))
    }

    /// The seeds' example: hide the FPU, and the guest sees none and emulates x87.
    @Test func hiddenFPUTakesTheEmulationPath() throws {
        let outcome = try Self.boot(CPUIDPolicy(features: CPUFeatureEdit.parseList("-fpu")))
        #expect(!outcome.result.isEnabled(CPUFeatureCatalog.feature(named: "fpu")!))
        #expect(outcome.view[.extended1EDX].map { $0 & 1 } == 0, "AMD's copy of the FPU bit is cleared too")
        let guestSeesFPU = (outcome.view[.leaf1EDX] ?? 0) & 1 != 0
        if guestSeesFPU && CPUIDComparison.kvmPassesFeatureLeavesThrough {
            print("skipping the no-FPU guest path for -fpu: this host's KVM (kvm_pvm) shows CPUID.1:EDX from the "
                + "hardware, so no VMM can hide the FPU here (QEMU -cpu ...,-fpu neither); "
                + "hiddenFPUPathWorksWhenForced runs that path")
            #expect(outcome.fpuLines.first?.hasPrefix("fpu: present") == true, "the guest follows what it sees")
            return
        }
        #expect(!guestSeesFPU, "the guest still sees CPUID.1:EDX.FPU")
        #expect(outcome.fpuLines == [
            "fpu: absent (CPUID.1:EDX.FPU = 0): CR0.EM set, x87 emulation path",
            "fpu: fninit raised #NM (vector 7): an emulator would run it in software",
        ])
        #expect(outcome.run.reason == .debugExit(status: 1))
    }

    /// The no-FPU path itself (CR0.EM, #NM on fninit) on any host.
    @Test func hiddenFPUPathWorksWhenForced() throws {
        let outcome = try Self.boot(CPUIDPolicy(), commandLine: "fpu=absent")
        #expect(outcome.fpuLines == [
            "fpu: absent (fpu=absent on the command line): CR0.EM set, x87 emulation path",
            "fpu: fninit raised #NM (vector 7): an emulator would run it in software",
        ])
        #expect(outcome.run.reason == .debugExit(status: 1))
    }
}
