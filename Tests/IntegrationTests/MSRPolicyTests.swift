import Testing
import VMM

/// The MSR policy (`--msr`): KVM's MSR filter sends the named accesses to user
/// space, one exit each; everything else costs no exit (msr.elf, Guests/README.md).
@Suite(requiresKVM) struct MSRPolicyTests {
    private func run(_ rules: [String], commandLine: String = "n=100") throws -> GuestRun {
        let parsed = try rules.map { try MSRRule.parse($0) }
        return try GuestRun.boot(guest: "msr.elf", commandLine: commandLine) { $0.msrRules = parsed }
    }

    private func msrExits(_ run: GuestRun) -> (reads: UInt64, writes: UInt64) {
        (run.exits(.msrRead), run.exits(.msrWrite))
    }

    @Test func anAllowedMSRCostsNoExit() throws {
        let run = try run([])
        #expect(run.output == "msr: 0x00000175 written 100 times, read 0x0000000000000064, 0 #GP\n")
        #expect(msrExits(run) == (0, 0))
    }

    @Test func aRecordedMSRCostsOneExitPerAccessAndReadsBackTheLastWrite() throws {
        let run = try run(["0x175:rw:record"], commandLine: "n=250")
        #expect(run.output == "msr: 0x00000175 written 250 times, read 0x00000000000000fa, 0 #GP\n")
        #expect(msrExits(run) == (1, 250))
        let vcpu = try #require(run.report.vcpus.first)
        #expect(vcpu.msrWrites.map(\.address) == [0x175] && vcpu.msrWrites.first?.count == 250)
        #expect(vcpu.msrReads.first?.count == 1)
    }

    @Test func anEmulatedValueAndIgnoredWrites() throws {
        // Writes filtered and dropped, reads left to KVM: it still holds 0.
        let writesOnly = try run(["0x175:w:value=0x42"])
        #expect(writesOnly.output.hasSuffix("read 0x0000000000000000, 0 #GP\n"))
        #expect(msrExits(writesOnly) == (0, 100))
        let both = try run(["0x175:rw:value=0x1122334455667788"])
        #expect(both.output.hasSuffix("read 0x1122334455667788, 0 #GP\n"))
        #expect(msrExits(both) == (1, 100))
    }

    @Test func aDeniedMSRRaisesGeneralProtection() throws {
        let run = try run(["0x175:rw:gp"], commandLine: "n=20")
        #expect(run.output == "msr: 0x00000175 written 20 times, read 0x0000000000000000, 21 #GP\n")
        #expect(msrExits(run) == (1, 20))
    }

    @Test func theFirstMatchingRuleDecides() throws {
        let rules = ["0x175:rw:allow", "0x170-0x17f:rw:gp"]
        let allowed = try run(rules)
        #expect(allowed.output.hasSuffix("read 0x0000000000000064, 0 #GP\n"))
        #expect(msrExits(allowed) == (0, 0))
        let denied = try run(rules, commandLine: "n=10 msr=0x174")
        #expect(denied.output.hasSuffix("11 #GP\n"))
        #expect(msrExits(denied) == (1, 10))
    }
}
