import CPUModel
import Testing

@Suite struct FeatureEditTests {
    private func apply(_ list: String, template: CPUTemplate = .host,
                       supported: CPUIDTable = SampleTables.rich) throws -> CPUIDPolicyResult {
        try CPUIDPolicy(template: template, features: SampleTables.edits(list)).apply(to: supported)
    }

    private func on(_ result: CPUIDPolicyResult, _ name: String) -> Bool {
        result.isEnabled(SampleTables.feature(name))
    }

    @Test func parsesAList() throws {
        let edits = try SampleTables.edits(" -avx, +x2apic,fpu,,-SSE3 ")
        #expect(edits.map(\.description) == ["-avx", "+x2apic", "+fpu", "-pni"])
    }

    @Test(arguments: ["+", "-", "++avx", "+-avx", "av x", "avx;sse"])
    func malformedItemsAreRejected(item: String) {
        #expect(throws: CPUIDPolicyError.self) { try SampleTables.edits(item) }
    }

    @Test func unknownNamesComeWithSuggestions() {
        do {
            _ = try SampleTables.edits("-avx,+x2apix")
            Issue.record("accepted x2apix")
        } catch {
            #expect(error == .unknownFeature("x2apix", suggestions: CPUFeatureCatalog.suggestions(for: "x2apix")))
            #expect(error.description.contains("'x2apix'"))
            #expect(error.description.contains("x2apic"))
            #expect(error.option == "--cpu-features")
        }
    }

    @Test func removingXSAVERemovesEverythingThatNeedsIt() throws {
        let result = try apply("-xsave")
        for name in ["xsave", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "xsaveopt",
                     "xsavec", "xsaves", "xgetbv1", "pku", "vaes", "vpclmulqdq", "avx_vnni", "avx512_bf16"] {
            #expect(!on(result, name), "\(name) still on")
        }
        #expect(on(result, "sse2") && on(result, "fxsr"), "what xsave needs stays")
        #expect(result.cascadedRemovals.contains("avx"))
        #expect(result.cascadedRemovals.contains("avx512f"))
        let xsave = result.table.entries.filter { $0.function == 0xD }
        #expect(xsave.map(\.index).sorted() == [0, 1])
        #expect(xsave.allSatisfy { $0.eax | $0.ebx | $0.ecx | $0.edx == 0 })
    }

    @Test func removingAVX512TrimsItsStateComponents() throws {
        let table = try apply("-avx512f").table
        let main = try #require(table.entry(function: 0xD, index: 0))
        #expect(main.eax == 0x7, "x87, SSE, AVX")
        #expect(main.ecx == 0x340, "the area ends after the AVX component (0x240 + 0x100)")
        #expect(main.ebx == 0x340)
        #expect(table.entry(function: 0xD, index: 2) != nil)
        for index: UInt32 in [5, 6, 7] { #expect(table.entry(function: 0xD, index: index) == nil) }
    }

    @Test func removingAVXLeavesTheLegacyArea() throws {
        let table = try apply("-avx").table
        let main = try #require(table.entry(function: 0xD, index: 0))
        #expect(main.eax == 0x3)
        #expect(main.ecx == 576)
        #expect(table.entries.filter { $0.function == 0xD }.map(\.index).sorted() == [0, 1])
        #expect(table.isSet(.leaf1ECX, bit: 26), "xsave itself stays")
    }

    @Test func hidingTheFPUHidesThatBitAlone() throws {
        let result = try apply("-fpu")
        #expect(!on(result, "fpu"))
        #expect(result.table[.extended1EDX].map { $0 & 1 } == 0, "the AMD mirror in 0x80000001 EDX too")
        for name in ["fxsr", "sse", "sse2", "mmx", "cmov", "xsave", "avx"] { #expect(on(result, name)) }
        #expect(result.cascadedRemovals.isEmpty)
        var expected = try apply("").table
        expected.setBit(.leaf1EDX, bit: 0, to: false)
        expected.setBit(.extended1EDX, bit: 0, to: false)
        #expect(result.table == expected, "nothing else changes")
    }

    @Test func addingNeedsKVMSupport() throws {
        #expect(throws: CPUIDPolicyError.unsupportedFeature(SampleTables.feature("avx"))) {
            try apply("+avx", supported: SampleTables.sparse)
        }
        let message = CPUIDPolicyError.unsupportedFeature(SampleTables.feature("avx")).description
        #expect(message.contains("avx") && message.contains("0x1.0 ecx bit 28") && message.contains("KVM"))
    }

    @Test func addingRestoresWhatTheTemplateRemoved() throws {
        let result = try apply("+x2apic,+sse4_2", template: .minimal)
        #expect(on(result, "x2apic") && on(result, "sse4_2"))
        #expect(!on(result, "popcnt"))
    }

    @Test func addingNeedsItsPrerequisites() throws {
        #expect(throws: CPUIDPolicyError.missingPrerequisite(feature: "avx2", requires: "avx")) {
            try apply("+avx2", template: .baseline)
        }
        #expect(throws: CPUIDPolicyError.missingPrerequisite(feature: "avx", requires: "xsave")) {
            try apply("+avx,-xsave")
        }
        let result = try apply("+avx2,+avx,+xsave", template: .baseline)
        #expect(on(result, "avx2") && on(result, "avx") && on(result, "xsave"))
    }

    @Test func theLastEditOfAFeatureWins() throws {
        #expect(on(try apply("-avx,+avx"), "avx"))
        #expect(!on(try apply("+avx,-avx"), "avx"))
    }

    @Test func osControlledBitsCannotBeAdded() throws {
        #expect(throws: CPUIDPolicyError.osControlledFeature(SampleTables.feature("osxsave"))) { try apply("+osxsave") }
        #expect(!on(try apply("-osxsave"), "osxsave"))
    }

    @Test func paravirtualFeaturesFollowWhatSwiftVMMOffers() throws {
        let plain = try apply("")
        for name in ["kvm_clock", "kvm_clock2", "kvm_clock_stable", "kvm_steal_time", "kvm_pv_eoi", "kvm_pv_unhalt",
                     "kvm_pv_tlb_flush", "kvm_pv_ipi", "kvm_poll_control", "kvm_pv_sched_yield", "kvm_nopiodelay"] {
            #expect(on(plain, name), "\(name) offered")
        }
        for name in ["kvm_asyncpf", "kvm_asyncpf_int", "kvm_msi_ext_dest_id", "kvm_map_gpa_range", "kvm_hint_realtime"] {
            #expect(!on(plain, name), "\(name) not offered by default")
        }
        #expect(on(try apply("+kvm_asyncpf,+kvm_asyncpf_int"), "kvm_asyncpf_int"))
        #expect(throws: CPUIDPolicyError.self) { try apply("+kvm_map_gpa_range") }
        #expect(throws: CPUIDPolicyError.self) { try apply("+kvm_hint_realtime") }
        let noSteal = try apply("-kvm_steal_time")
        #expect(!on(noSteal, "kvm_pv_tlb_flush"), "PV TLB flush needs steal time")
    }
}
