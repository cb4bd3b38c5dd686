@testable import CPUModel
import Testing

@Suite struct TemplateTests {
    private func apply(_ template: CPUTemplate, _ supported: CPUIDTable = SampleTables.rich) throws -> CPUIDPolicyResult {
        try CPUIDPolicy(template: template).apply(to: supported)
    }

    @Test func hostKeepsWhatKVMSupportsExceptTheHypervisorLeaves() throws {
        let result = try apply(.host)
        var expected = SampleTables.rich
        expected.set(.kvmFeaturesEAX, to: 0x0101_FEFB & HypervisorLeaves.offeredFeatures)
        expected.set(.kvmFeaturesEDX, to: 0)
        let words = HypervisorLeaves.registers("SwiftVMM")
        expected.insert(CPUIDEntry(function: 0x4000_0100, eax: 0x4000_0100, ebx: words.ebx, ecx: words.ecx, edx: words.edx))
        #expect(result.table.sorted == expected.sorted)
        #expect(result.missingTemplateFeatures.isEmpty)
    }

    @Test(arguments: [CPUTemplate.baseline, .minimal])
    func templateKeepsExactlyItsFeatures(template: CPUTemplate) throws {
        let result = try apply(template)
        let kept = Set(template.features ?? [])
        for feature in CPUFeatureCatalog.features where !feature.kind.isParavirtual {
            let expected = kept.contains(feature.name) && result.isSupported(feature)
            #expect(result.isEnabled(feature) == expected, "\(template) \(feature.name)")
        }
        // Leaf 7 and the other feature registers hold nothing outside the list.
        #expect(result.table[.leaf7EBX] == 0)
        #expect(result.table[.leaf7ECX] == 0)
        #expect(result.table[.leaf7EDX] == 0)
        #expect(result.table[.leaf7Subleaf1EAX] == 0)
        #expect(result.table[.extended8EBX] == 0)
        #expect(result.table[.extended7EDX] == 0)
    }

    @Test(arguments: [CPUTemplate.baseline, .minimal])
    func templateCapsTheLeaves(template: CPUTemplate) throws {
        let table = try apply(template).table
        #expect(table.entry(function: 0)?.eax == 0xD)
        #expect(table.entry(function: 0x8000_0000)?.eax == 0x8000_0008)
        for entry in table.entries {
            let inBasic = entry.function <= 0xD
            let inExtended = entry.function >= 0x8000_0000 && entry.function <= 0x8000_0008
            let inHypervisor = entry.function >= 0x4000_0000 && entry.function < 0x4001_0000
            #expect(inBasic || inExtended || inHypervisor, "leaf 0x\(String(entry.function, radix: 16)) kept")
        }
        // No XSAVE in either template: leaf 0xD says nothing.
        #expect(table.entries.filter { $0.function == 0xD }.allSatisfy { $0.eax | $0.ebx | $0.ecx | $0.edx == 0 })
        #expect(table.entry(function: 0xD, index: 2) == nil)
    }

    @Test(arguments: CPUTemplate.allCases)
    func templateNeverAddsABitKVMDoesNotSupport(template: CPUTemplate) throws {
        for supported in [SampleTables.rich, SampleTables.sparse] {
            let result = try apply(template, supported)
            for location in CPUIDLocation.featureRegisters {
                guard let value = result.table[location] else { continue }
                #expect(value & ~(supported[location] ?? 0) == 0, "\(template) \(location)")
            }
        }
    }

    @Test func amdMirrorBitsFollowTheTemplate() throws {
        let table = try apply(.minimal).table
        // 0x80000001 EDX keeps syscall, nx, lm and the mirrors of minimal's leaf-1 features.
        let mirrors = ["fpu", "pse", "tsc", "msr", "pae", "cx8", "apic", "pge", "cmov", "pat", "mmx", "fxsr"]
            .map(SampleTables.feature).reduce(UInt32(0)) { $0 | $1.mask }
        let own: UInt32 = 1 << 11 | 1 << 20 | 1 << 29
        #expect(table[.extended1EDX] == (mirrors | own) & 0x2FD3_FBFF)
    }

    @Test(arguments: [CPUTemplate.baseline, .minimal])
    func templatesAreClosedUnderRequirements(template: CPUTemplate) {
        let names = Set(template.features ?? [])
        for name in names {
            let feature = SampleTables.feature(name)
            #expect(Set(feature.requires).isSubset(of: names), "\(name) needs \(feature.requires)")
        }
    }

    @Test func missingTemplateFeaturesAreReported() throws {
        let result = try apply(.baseline, SampleTables.sparse)
        #expect(result.missingTemplateFeatures == ["pni", "ssse3", "sse4_1", "sse4_2", "popcnt"])
        #expect(try apply(.minimal, SampleTables.sparse).missingTemplateFeatures.isEmpty)
    }

    @Test func templateNamesParse() throws {
        #expect(try CPUTemplate.named("Baseline") == .baseline)
        #expect(throws: CPUIDPolicyError.unknownTemplate("fast")) { try CPUTemplate.named("fast") }
        #expect(CPUIDPolicyError.unknownTemplate("fast").description.contains("host, baseline, minimal"))
    }
}

/// The masks docs/cpuid.md lists, so that the page and the code cannot drift apart.
@Suite struct TemplateMaskTests {
    @Test func baselineMasks() throws {
        let masks = try #require(CPUTemplate.baseline.masks)
        #expect(masks[.leaf1EDX] == 0x078B_FBFF)
        #expect(masks[.leaf1ECX] == 0x81B8_2201)
        #expect(masks[.leaf6EAX] == 0x4)
        #expect(masks[.extended1ECX] == 0x1)
        #expect(masks[.extended1EDX] == 0x2193_FBFF)
        for location in [CPUIDLocation.leaf7EBX, .leaf7ECX, .leaf7EDX, .leaf7Subleaf1EAX, .xsaveSubleaf1EAX,
                         .extended7EDX, .extended8EBX] {
            #expect(masks[location] == 0, "\(location)")
        }
    }

    @Test func minimalMasks() throws {
        let masks = try #require(CPUTemplate.minimal.masks)
        #expect(masks[.leaf1EDX] == 0x0781_AB79)
        #expect(masks[.leaf1ECX] == 0x8000_0000)
        #expect(masks[.leaf6EAX] == 0)
        #expect(masks[.extended1ECX] == 0)
        #expect(masks[.extended1EDX] == 0x2191_AB79)
    }

    @Test func hostHasNoMasks() {
        #expect(CPUTemplate.host.masks == nil)
        #expect(CPUTemplate.host.leafLimits == nil)
    }
}
