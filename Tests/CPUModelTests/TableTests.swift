import CPUModel
import Testing

@Suite struct TableTests {
    @Test func apicIDGoesIntoLeaves1BAnd1F() throws {
        let table = SampleTables.rich.withAPICID(3)
        #expect(table.entry(function: 1)?.ebx == 0x0302_0800)
        #expect(table.entry(function: 0xB)?.edx == 3)
        #expect(table.entry(function: 0x1F)?.edx == 3)
        #expect(table.entry(function: 1)?.eax == SampleTables.rich.entry(function: 1)?.eax)
        #expect(SampleTables.rich.withAPICID(0).withAPICID(7) == SampleTables.rich.withAPICID(7))
    }

    @Test func registersByLocation() {
        var table = SampleTables.rich
        #expect(table[CPUIDLocation(leaf: 0x7, subleaf: 1, register: .eax)] == 0x30)
        #expect(table[CPUIDLocation(leaf: 0x7, subleaf: 2, register: .eax)] == nil)
        let changed = table.set(CPUIDLocation(leaf: 0x99, register: .eax), to: 1)
        #expect(!changed)
        table.setBit(.leaf1EDX, bit: 0, to: false)
        #expect(!table.isSet(.leaf1EDX, bit: 0))
    }

    @Test func reportListsTheTableAndEveryFeature() throws {
        let policy = CPUIDPolicy(template: .minimal, features: try SampleTables.edits("-fpu,+x2apic"))
        let result = try policy.apply(to: SampleTables.rich)
        let lines = CPUIDReport.lines(result, vcpu: 2)
        #expect(lines.first?.contains("template minimal, features -fpu,+x2apic") == true)
        let rows = lines.filter { $0.hasPrefix("cpuid ") }
        #expect(rows.count == result.table.entries.count)
        #expect(rows.contains("cpuid 00000001.0 00a10f11 02020800 80200000 0781ab78"))
        #expect(lines.contains("feature fpu off 0x1.0 edx bit 0"))
        #expect(lines.contains("feature x2apic on 0x1.0 ecx bit 21"))
        #expect(lines.contains("feature osxsave off 0x1.0 ecx bit 27 (set by the guest OS)"))
        #expect(lines.filter { $0.hasPrefix("feature ") }.count == CPUFeatureCatalog.features.count)
    }
}
