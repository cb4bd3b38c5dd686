/// Every named feature bit a policy can show or hide, in CPUID order.
///
/// Names follow Linux's /proc/cpuinfo (`pni` for SSE3, `abm` for LZCNT, `sha_ni`,
/// `tsc_deadline_timer`), with the common spellings as aliases. `requires` lists
/// what a feature cannot work without (after Linux's cpuid-deps and the SDM):
/// removing `xsave` removes `avx`, which removes `avx2`, `fma`, `avx512f`, ...
/// `fpu` has no dependents on purpose: hiding the x87 FPU hides that bit alone.
public enum CPUFeatureCatalog {
    public static let features: [CPUFeature] = leaf1 + leaf6And7 + xsaveAndExtended + paravirtual

    static let mirrored = true

    static let leaf1: [CPUFeature] = [
        CPUFeature("fpu", .leaf1EDX, 0, mirrored: mirrored),
        CPUFeature("vme", .leaf1EDX, 1, mirrored: mirrored),
        CPUFeature("de", .leaf1EDX, 2, mirrored: mirrored),
        CPUFeature("pse", .leaf1EDX, 3, mirrored: mirrored),
        CPUFeature("tsc", .leaf1EDX, 4, mirrored: mirrored),
        CPUFeature("msr", .leaf1EDX, 5, mirrored: mirrored),
        CPUFeature("pae", .leaf1EDX, 6, mirrored: mirrored),
        CPUFeature("mce", .leaf1EDX, 7, mirrored: mirrored),
        CPUFeature("cx8", .leaf1EDX, 8, mirrored: mirrored),
        CPUFeature("apic", .leaf1EDX, 9, mirrored: mirrored),
        CPUFeature("sep", .leaf1EDX, 11),
        CPUFeature("mtrr", .leaf1EDX, 12, mirrored: mirrored),
        CPUFeature("pge", .leaf1EDX, 13, mirrored: mirrored),
        CPUFeature("mca", .leaf1EDX, 14, mirrored: mirrored),
        CPUFeature("cmov", .leaf1EDX, 15, mirrored: mirrored),
        CPUFeature("pat", .leaf1EDX, 16, mirrored: mirrored),
        CPUFeature("pse36", .leaf1EDX, 17, mirrored: mirrored),
        CPUFeature("pn", .leaf1EDX, 18),
        CPUFeature("clflush", .leaf1EDX, 19),
        CPUFeature("dts", .leaf1EDX, 21),
        CPUFeature("acpi", .leaf1EDX, 22),
        CPUFeature("mmx", .leaf1EDX, 23, mirrored: mirrored),
        CPUFeature("fxsr", .leaf1EDX, 24, mirrored: mirrored),
        CPUFeature("sse", .leaf1EDX, 25, requires: ["fxsr"]),
        CPUFeature("sse2", .leaf1EDX, 26, requires: ["sse"]),
        CPUFeature("ss", .leaf1EDX, 27),
        CPUFeature("ht", .leaf1EDX, 28),
        CPUFeature("tm", .leaf1EDX, 29),
        CPUFeature("ia64", .leaf1EDX, 30),
        CPUFeature("pbe", .leaf1EDX, 31),

        CPUFeature("pni", .leaf1ECX, 0, aliases: ["sse3"], requires: ["sse2"]),
        CPUFeature("pclmulqdq", .leaf1ECX, 1, requires: ["sse2"]),
        CPUFeature("dtes64", .leaf1ECX, 2),
        CPUFeature("monitor", .leaf1ECX, 3),
        CPUFeature("ds_cpl", .leaf1ECX, 4),
        CPUFeature("vmx", .leaf1ECX, 5),
        CPUFeature("smx", .leaf1ECX, 6),
        CPUFeature("est", .leaf1ECX, 7),
        CPUFeature("tm2", .leaf1ECX, 8),
        CPUFeature("ssse3", .leaf1ECX, 9, requires: ["sse2"]),
        CPUFeature("cid", .leaf1ECX, 10),
        CPUFeature("sdbg", .leaf1ECX, 11),
        CPUFeature("fma", .leaf1ECX, 12, requires: ["avx"]),
        CPUFeature("cx16", .leaf1ECX, 13),
        CPUFeature("xtpr", .leaf1ECX, 14),
        CPUFeature("pdcm", .leaf1ECX, 15),
        CPUFeature("pcid", .leaf1ECX, 17),
        CPUFeature("dca", .leaf1ECX, 18),
        CPUFeature("sse4_1", .leaf1ECX, 19, aliases: ["sse4.1"], requires: ["sse2"]),
        CPUFeature("sse4_2", .leaf1ECX, 20, aliases: ["sse4.2"], requires: ["sse2"]),
        CPUFeature("x2apic", .leaf1ECX, 21, requires: ["apic"]),
        CPUFeature("movbe", .leaf1ECX, 22),
        CPUFeature("popcnt", .leaf1ECX, 23),
        CPUFeature("tsc_deadline_timer", .leaf1ECX, 24, aliases: ["tsc_deadline", "tsc-deadline"],
                   requires: ["apic"]),
        CPUFeature("aes", .leaf1ECX, 25, requires: ["sse2"]),
        CPUFeature("xsave", .leaf1ECX, 26, requires: ["fxsr"]),
        CPUFeature("osxsave", .leaf1ECX, 27, kind: .osControlled),
        CPUFeature("avx", .leaf1ECX, 28, requires: ["xsave"]),
        CPUFeature("f16c", .leaf1ECX, 29, requires: ["avx"]),
        CPUFeature("rdrand", .leaf1ECX, 30),
        CPUFeature("hypervisor", .leaf1ECX, 31),
    ]

    static let leaf6And7: [CPUFeature] = [
        CPUFeature("arat", .leaf6EAX, 2),

        CPUFeature("fsgsbase", .leaf7EBX, 0),
        CPUFeature("tsc_adjust", .leaf7EBX, 1),
        CPUFeature("sgx", .leaf7EBX, 2),
        CPUFeature("bmi1", .leaf7EBX, 3),
        CPUFeature("hle", .leaf7EBX, 4),
        CPUFeature("avx2", .leaf7EBX, 5, requires: ["avx"]),
        CPUFeature("fdp_excptn_only", .leaf7EBX, 6),
        CPUFeature("smep", .leaf7EBX, 7),
        CPUFeature("bmi2", .leaf7EBX, 8),
        CPUFeature("erms", .leaf7EBX, 9),
        CPUFeature("invpcid", .leaf7EBX, 10),
        CPUFeature("rtm", .leaf7EBX, 11),
        CPUFeature("cqm", .leaf7EBX, 12),
        CPUFeature("zero_fcs_fds", .leaf7EBX, 13),
        CPUFeature("mpx", .leaf7EBX, 14, requires: ["xsave"]),
        CPUFeature("rdt_a", .leaf7EBX, 15),
        CPUFeature("avx512f", .leaf7EBX, 16, requires: ["avx"]),
        CPUFeature("avx512dq", .leaf7EBX, 17, requires: ["avx512f"]),
        CPUFeature("rdseed", .leaf7EBX, 18),
        CPUFeature("adx", .leaf7EBX, 19),
        CPUFeature("smap", .leaf7EBX, 20),
        CPUFeature("avx512ifma", .leaf7EBX, 21, requires: ["avx512f"]),
        CPUFeature("clflushopt", .leaf7EBX, 23),
        CPUFeature("clwb", .leaf7EBX, 24),
        CPUFeature("intel_pt", .leaf7EBX, 25),
        CPUFeature("avx512pf", .leaf7EBX, 26, requires: ["avx512f"]),
        CPUFeature("avx512er", .leaf7EBX, 27, requires: ["avx512f"]),
        CPUFeature("avx512cd", .leaf7EBX, 28, requires: ["avx512f"]),
        CPUFeature("sha_ni", .leaf7EBX, 29, aliases: ["sha"], requires: ["sse2"]),
        CPUFeature("avx512bw", .leaf7EBX, 30, requires: ["avx512f"]),
        CPUFeature("avx512vl", .leaf7EBX, 31, requires: ["avx512f"]),

        CPUFeature("avx512vbmi", .leaf7ECX, 1, requires: ["avx512f"]),
        CPUFeature("umip", .leaf7ECX, 2),
        CPUFeature("pku", .leaf7ECX, 3, requires: ["xsave"]),
        CPUFeature("ospke", .leaf7ECX, 4, kind: .osControlled),
        CPUFeature("waitpkg", .leaf7ECX, 5),
        CPUFeature("avx512_vbmi2", .leaf7ECX, 6, requires: ["avx512f"]),
        CPUFeature("gfni", .leaf7ECX, 8, requires: ["sse2"]),
        CPUFeature("vaes", .leaf7ECX, 9, requires: ["avx"]),
        CPUFeature("vpclmulqdq", .leaf7ECX, 10, requires: ["avx"]),
        CPUFeature("avx512_vnni", .leaf7ECX, 11, requires: ["avx512f"]),
        CPUFeature("avx512_bitalg", .leaf7ECX, 12, requires: ["avx512f"]),
        CPUFeature("tme", .leaf7ECX, 13),
        CPUFeature("avx512_vpopcntdq", .leaf7ECX, 14, requires: ["avx512f"]),
        CPUFeature("la57", .leaf7ECX, 16),
        CPUFeature("rdpid", .leaf7ECX, 22),
        CPUFeature("bus_lock_detect", .leaf7ECX, 24),
        CPUFeature("cldemote", .leaf7ECX, 25),
        CPUFeature("movdiri", .leaf7ECX, 27),
        CPUFeature("movdir64b", .leaf7ECX, 28),
        CPUFeature("enqcmd", .leaf7ECX, 29),
        CPUFeature("sgx_lc", .leaf7ECX, 30),

        CPUFeature("avx512_4vnniw", .leaf7EDX, 2, requires: ["avx512f"]),
        CPUFeature("avx512_4fmaps", .leaf7EDX, 3, requires: ["avx512f"]),
        CPUFeature("fsrm", .leaf7EDX, 4),
        CPUFeature("avx512_vp2intersect", .leaf7EDX, 8, requires: ["avx512f"]),
        CPUFeature("md_clear", .leaf7EDX, 10),
        CPUFeature("serialize", .leaf7EDX, 14),
        CPUFeature("tsxldtrk", .leaf7EDX, 16),
        CPUFeature("pconfig", .leaf7EDX, 18),
        CPUFeature("arch_lbr", .leaf7EDX, 19),
        CPUFeature("ibt", .leaf7EDX, 20),
        CPUFeature("amx_bf16", .leaf7EDX, 22, requires: ["amx_tile"]),
        CPUFeature("avx512_fp16", .leaf7EDX, 23, requires: ["avx512f"]),
        CPUFeature("amx_tile", .leaf7EDX, 24, requires: ["xsave"]),
        CPUFeature("amx_int8", .leaf7EDX, 25, requires: ["amx_tile"]),
        CPUFeature("flush_l1d", .leaf7EDX, 28),
        CPUFeature("arch_capabilities", .leaf7EDX, 29),

        CPUFeature("avx_vnni", .leaf7Subleaf1EAX, 4, requires: ["avx"]),
        CPUFeature("avx512_bf16", .leaf7Subleaf1EAX, 5, requires: ["avx512f"]),
    ]

    static let xsaveAndExtended: [CPUFeature] = [
        CPUFeature("xsaveopt", .xsaveSubleaf1EAX, 0, requires: ["xsave"]),
        CPUFeature("xsavec", .xsaveSubleaf1EAX, 1, requires: ["xsave"]),
        CPUFeature("xgetbv1", .xsaveSubleaf1EAX, 2, requires: ["xsave"]),
        CPUFeature("xsaves", .xsaveSubleaf1EAX, 3, requires: ["xsave"]),

        CPUFeature("lahf_lm", .extended1ECX, 0),
        CPUFeature("cmp_legacy", .extended1ECX, 1),
        CPUFeature("svm", .extended1ECX, 2),
        CPUFeature("extapic", .extended1ECX, 3),
        CPUFeature("cr8_legacy", .extended1ECX, 4),
        CPUFeature("abm", .extended1ECX, 5, aliases: ["lzcnt"]),
        CPUFeature("sse4a", .extended1ECX, 6, requires: ["sse2"]),
        CPUFeature("misalignsse", .extended1ECX, 7, requires: ["sse2"]),
        CPUFeature("3dnowprefetch", .extended1ECX, 8),
        CPUFeature("osvw", .extended1ECX, 9),
        CPUFeature("ibs", .extended1ECX, 10),
        CPUFeature("xop", .extended1ECX, 11, requires: ["avx"]),
        CPUFeature("skinit", .extended1ECX, 12),
        CPUFeature("wdt", .extended1ECX, 13),
        CPUFeature("lwp", .extended1ECX, 15),
        CPUFeature("fma4", .extended1ECX, 16, requires: ["avx"]),
        CPUFeature("tce", .extended1ECX, 17),
        CPUFeature("nodeid_msr", .extended1ECX, 19),
        CPUFeature("tbm", .extended1ECX, 21),
        CPUFeature("topoext", .extended1ECX, 22),
        CPUFeature("perfctr_core", .extended1ECX, 23),
        CPUFeature("perfctr_nb", .extended1ECX, 24),
        CPUFeature("bpext", .extended1ECX, 26),
        CPUFeature("ptsc", .extended1ECX, 27),
        CPUFeature("perfctr_llc", .extended1ECX, 28),
        CPUFeature("mwaitx", .extended1ECX, 29),

        CPUFeature("syscall", .extended1EDX, 11),
        CPUFeature("mp", .extended1EDX, 19),
        CPUFeature("nx", .extended1EDX, 20),
        CPUFeature("mmxext", .extended1EDX, 22, requires: ["mmx"]),
        CPUFeature("fxsr_opt", .extended1EDX, 25, requires: ["fxsr"]),
        CPUFeature("pdpe1gb", .extended1EDX, 26),
        CPUFeature("rdtscp", .extended1EDX, 27),
        CPUFeature("lm", .extended1EDX, 29),
        CPUFeature("3dnowext", .extended1EDX, 30, requires: ["3dnow"]),
        CPUFeature("3dnow", .extended1EDX, 31, requires: ["mmx"]),

        // Linux derives constant_tsc and nonstop_tsc from this bit; QEMU calls it invtsc.
        CPUFeature("invtsc", .extended7EDX, 8),

        CPUFeature("clzero", .extended8EBX, 0),
        CPUFeature("irperf", .extended8EBX, 1),
        CPUFeature("xsaveerptr", .extended8EBX, 2),
        CPUFeature("rdpru", .extended8EBX, 4),
        CPUFeature("wbnoinvd", .extended8EBX, 9),
    ]

    /// KVM's paravirtual features (CPUID 0x40000001), named after KVM_FEATURE_*.
    /// See HypervisorLeaves for why each is offered, opt-in or unavailable.
    static let paravirtual: [CPUFeature] = [
        CPUFeature("kvm_clock", .kvmFeaturesEAX, 0, kind: .paravirtual),
        CPUFeature("kvm_nopiodelay", .kvmFeaturesEAX, 1, kind: .paravirtual),
        CPUFeature("kvm_clock2", .kvmFeaturesEAX, 3, kind: .paravirtual),
        CPUFeature("kvm_asyncpf", .kvmFeaturesEAX, 4, kind: .paravirtualOptIn),
        CPUFeature("kvm_steal_time", .kvmFeaturesEAX, 5, kind: .paravirtual),
        CPUFeature("kvm_pv_eoi", .kvmFeaturesEAX, 6, kind: .paravirtual),
        CPUFeature("kvm_pv_unhalt", .kvmFeaturesEAX, 7, kind: .paravirtual),
        CPUFeature("kvm_pv_tlb_flush", .kvmFeaturesEAX, 9, kind: .paravirtual, requires: ["kvm_steal_time"]),
        CPUFeature("kvm_asyncpf_vmexit", .kvmFeaturesEAX, 10, kind: .paravirtualOptIn, requires: ["kvm_asyncpf"]),
        CPUFeature("kvm_pv_ipi", .kvmFeaturesEAX, 11, kind: .paravirtual),
        CPUFeature("kvm_poll_control", .kvmFeaturesEAX, 12, kind: .paravirtual),
        CPUFeature("kvm_pv_sched_yield", .kvmFeaturesEAX, 13, kind: .paravirtual),
        CPUFeature("kvm_asyncpf_int", .kvmFeaturesEAX, 14, kind: .paravirtualOptIn, requires: ["kvm_asyncpf"]),
        CPUFeature("kvm_msi_ext_dest_id", .kvmFeaturesEAX, 15, kind: .paravirtualUnavailable(
            reason: "it needs the VMM to route MSIs with extended destination IDs; swift-vmm has no MSI routing")),
        CPUFeature("kvm_map_gpa_range", .kvmFeaturesEAX, 16, kind: .paravirtualUnavailable(
            reason: "its hypercall exits to the VMM (KVM_EXIT_HYPERCALL), which swift-vmm does not handle")),
        CPUFeature("kvm_migration_control", .kvmFeaturesEAX, 17, kind: .paravirtualUnavailable(
            reason: "its MSR is handled by the VMM, and swift-vmm does not migrate")),
        CPUFeature("kvm_clock_stable", .kvmFeaturesEAX, 24, kind: .paravirtual),
        CPUFeature("kvm_hint_realtime", .kvmFeaturesEDX, 0, kind: .paravirtualUnavailable(
            reason: "it promises vCPUs that are never preempted (pinned to dedicated host CPUs)")),
    ]

    private static let byName: [String: CPUFeature] = {
        var names: [String: CPUFeature] = [:]
        for feature in features {
            names[feature.name] = feature
            for alias in feature.aliases { names[alias] = feature }
        }
        return names
    }()

    /// The feature called `name` (or one of its aliases), case-insensitively.
    public static func feature(named name: String) -> CPUFeature? {
        byName[name.lowercased()]
    }

    /// Known names close to `name`, closest first, at most five, one per feature:
    /// names that start with it, then names within two edits, then names sharing
    /// its first three characters.
    public static func suggestions(for name: String) -> [String] {
        let wanted = name.lowercased()
        let scored = features.compactMap { feature -> (name: String, score: Int)? in
            // The canonical name first, so that it wins a tie with an alias.
            let names = [feature.name] + feature.aliases
            return names.compactMap { candidate -> (name: String, score: Int)? in
                if candidate.hasPrefix(wanted) { return (candidate, 0) }
                let distance = EditDistance.between(wanted, candidate)
                if distance <= 2 { return (candidate, distance) }
                if wanted.count >= 3, candidate.hasPrefix(wanted.prefix(3)) { return (candidate, 3) }
                return nil
            }.min { $0.score < $1.score }
        }
        return scored.sorted { ($0.score, $0.name) < ($1.score, $1.name) }.prefix(5).map(\.name)
    }

    /// The features that require `name` directly.
    public static func dependents(of name: String) -> [CPUFeature] {
        features.filter { $0.requires.contains(name) }
    }
}
