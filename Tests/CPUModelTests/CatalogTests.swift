import CPUModel
import Testing

@Suite struct CatalogTests {
    @Test func namesAreUniqueAndBitsInRange() {
        var seen = Set<String>()
        for feature in CPUFeatureCatalog.features {
            for name in [feature.name] + feature.aliases {
                #expect(seen.insert(name).inserted, "\(name) appears twice")
                #expect(name == name.lowercased())
            }
            #expect((0...31).contains(feature.bit), "\(feature.name)")
            #expect(CPUIDLocation.featureRegisters.contains(feature.location), "\(feature.name) at \(feature.location)")
        }
    }

    @Test func noTwoFeaturesShareABit() {
        var places = Set<String>()
        for feature in CPUFeatureCatalog.features {
            #expect(places.insert("\(feature.location) \(feature.bit)").inserted, "\(feature.name)")
        }
    }

    @Test func requirementsNameFeaturesAndFormNoCycle() {
        for feature in CPUFeatureCatalog.features {
            for requirement in feature.requires {
                #expect(CPUFeatureCatalog.feature(named: requirement) != nil, "\(feature.name) requires \(requirement)")
            }
            // Follow the chain: it must end within the catalog's size.
            var frontier = feature.requires
            var steps = 0
            while !frontier.isEmpty, steps <= CPUFeatureCatalog.features.count {
                frontier = frontier.flatMap { CPUFeatureCatalog.feature(named: $0)?.requires ?? [] }
                steps += 1
            }
            #expect(frontier.isEmpty, "\(feature.name) has a requirement cycle")
        }
    }

    /// The names the issue lists, each where the SDM / AMD APM put it.
    @Test(arguments: [
        ("fpu", 0x1, CPUIDRegister.edx, 0), ("vme", 0x1, .edx, 1), ("de", 0x1, .edx, 2), ("pse", 0x1, .edx, 3),
        ("tsc", 0x1, .edx, 4), ("msr", 0x1, .edx, 5), ("pae", 0x1, .edx, 6), ("mce", 0x1, .edx, 7),
        ("cx8", 0x1, .edx, 8), ("apic", 0x1, .edx, 9), ("sep", 0x1, .edx, 11), ("mtrr", 0x1, .edx, 12),
        ("pge", 0x1, .edx, 13), ("mca", 0x1, .edx, 14), ("cmov", 0x1, .edx, 15), ("pat", 0x1, .edx, 16),
        ("pse36", 0x1, .edx, 17), ("clflush", 0x1, .edx, 19), ("mmx", 0x1, .edx, 23), ("fxsr", 0x1, .edx, 24),
        ("sse", 0x1, .edx, 25), ("sse2", 0x1, .edx, 26), ("ht", 0x1, .edx, 28),
        ("sse3", 0x1, .ecx, 0), ("pclmulqdq", 0x1, .ecx, 1), ("ssse3", 0x1, .ecx, 9), ("fma", 0x1, .ecx, 12),
        ("cx16", 0x1, .ecx, 13), ("pcid", 0x1, .ecx, 17), ("sse4_1", 0x1, .ecx, 19), ("sse4_2", 0x1, .ecx, 20),
        ("x2apic", 0x1, .ecx, 21), ("movbe", 0x1, .ecx, 22), ("popcnt", 0x1, .ecx, 23),
        ("tsc_deadline", 0x1, .ecx, 24), ("aes", 0x1, .ecx, 25), ("xsave", 0x1, .ecx, 26),
        ("osxsave", 0x1, .ecx, 27), ("avx", 0x1, .ecx, 28), ("f16c", 0x1, .ecx, 29), ("rdrand", 0x1, .ecx, 30),
        ("hypervisor", 0x1, .ecx, 31),
        ("fsgsbase", 0x7, .ebx, 0), ("bmi1", 0x7, .ebx, 3), ("avx2", 0x7, .ebx, 5), ("smep", 0x7, .ebx, 7),
        ("bmi2", 0x7, .ebx, 8), ("erms", 0x7, .ebx, 9), ("invpcid", 0x7, .ebx, 10), ("avx512f", 0x7, .ebx, 16),
        ("rdseed", 0x7, .ebx, 18), ("adx", 0x7, .ebx, 19), ("smap", 0x7, .ebx, 20), ("clflushopt", 0x7, .ebx, 23),
        ("sha", 0x7, .ebx, 29), ("umip", 0x7, .ecx, 2), ("pku", 0x7, .ecx, 3), ("la57", 0x7, .ecx, 16),
        ("rdpid", 0x7, .ecx, 22),
        ("syscall", 0x8000_0001, .edx, 11), ("nx", 0x8000_0001, .edx, 20), ("pdpe1gb", 0x8000_0001, .edx, 26),
        ("rdtscp", 0x8000_0001, .edx, 27), ("lm", 0x8000_0001, .edx, 29), ("lahf_lm", 0x8000_0001, .ecx, 0),
        ("abm", 0x8000_0001, .ecx, 5), ("lzcnt", 0x8000_0001, .ecx, 5), ("sse4a", 0x8000_0001, .ecx, 6),
    ] as [(String, UInt32, CPUIDRegister, Int)])
    func knownFeatureBits(name: String, leaf: UInt32, register: CPUIDRegister, bit: Int) throws {
        let feature = try #require(CPUFeatureCatalog.feature(named: name))
        #expect(feature.location == CPUIDLocation(leaf: leaf, register: register))
        #expect(feature.bit == bit)
    }

    @Test func lookupIgnoresCaseAndKnowsAliases() {
        #expect(CPUFeatureCatalog.feature(named: "AVX")?.name == "avx")
        #expect(CPUFeatureCatalog.feature(named: "sse3")?.name == "pni")
        #expect(CPUFeatureCatalog.feature(named: "lzcnt")?.name == "abm")
        #expect(CPUFeatureCatalog.feature(named: "avx3") == nil)
    }

    @Test func suggestionsAreCloseNames() {
        #expect(CPUFeatureCatalog.suggestions(for: "avxx").first == "avx")
        #expect(Array(CPUFeatureCatalog.suggestions(for: "sse4").prefix(2)) == ["sse4_1", "sse4_2"])
        #expect(CPUFeatureCatalog.suggestions(for: "x2apc").contains("x2apic"))
        #expect(CPUFeatureCatalog.suggestions(for: "qqqqqqqq").isEmpty)
        #expect(CPUFeatureCatalog.suggestions(for: "a").count <= 5)
    }

    @Test func xsaveDependentsIncludeTheAVXFamily() {
        let direct = Set(CPUFeatureCatalog.dependents(of: "xsave").map(\.name))
        #expect(direct.isSuperset(of: ["avx", "xsaveopt", "xsavec", "xsaves", "xgetbv1", "pku"]))
        #expect(CPUFeatureCatalog.dependents(of: "fpu").isEmpty, "hiding the FPU hides that bit alone")
    }
}
