import CPUModel
import Testing

@Suite struct HypervisorLeavesTests {
    @Test func signaturesAsRegisters() {
        let kvm = HypervisorLeaves.registers(HypervisorLeaves.kvmSignature)
        #expect(kvm.ebx == 0x4B4D_564B && kvm.ecx == 0x564B_4D56 && kvm.edx == 0x4D)
        let ours = HypervisorLeaves.registers(HypervisorLeaves.signature)
        let entry = CPUIDEntry(function: 0x4000_0100, ebx: ours.ebx, ecx: ours.ecx, edx: ours.edx)
        #expect(HypervisorLeaves.signature(of: entry) == "SwiftVMM\0\0\0\0")
    }

    @Test func kvmStaysFirstAndSwiftVMMFollows() throws {
        let table = try CPUIDPolicy().apply(to: SampleTables.rich).table
        let kvm = try #require(table.entry(function: 0x4000_0000))
        #expect(HypervisorLeaves.signature(of: kvm) == HypervisorLeaves.kvmSignature)
        #expect(kvm.eax == 0x4000_0001)
        let ours = try #require(table.entry(function: 0x4000_0100))
        #expect(HypervisorLeaves.signature(of: ours) == HypervisorLeaves.signature)
        #expect(ours.eax == 0x4000_0100, "one leaf in swift-vmm's block")
    }

    @Test func withoutKVMLeavesSwiftVMMTakesTheFirstBlock() throws {
        var supported = SampleTables.rich
        supported.entries.removeAll { $0.function >= 0x4000_0000 && $0.function < 0x4001_0000 }
        let table = try CPUIDPolicy().apply(to: supported).table
        #expect(table.entry(function: 0x4000_0000).map(HypervisorLeaves.signature(of:)) == HypervisorLeaves.signature)
    }

    @Test func offeredParavirtualBits() {
        // clocksource, nopiodelay, clocksource2, steal time, PV EOI, PV unhalt, PV TLB flush,
        // PV IPI, poll control, PV sched yield, clocksource stable.
        let expected: UInt32 = [0, 1, 3, 5, 6, 7, 9, 11, 12, 13, 24].reduce(0) { $0 | 1 << $1 }
        #expect(HypervisorLeaves.offeredFeatures == expected)
    }

    @Test func hintsAreCleared() throws {
        let table = try CPUIDPolicy().apply(to: SampleTables.rich).table
        #expect(table[.kvmFeaturesEDX] == 0)
    }
}
