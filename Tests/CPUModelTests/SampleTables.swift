import CPUModel

/// Supported-CPUID tables shaped like KVM_GET_SUPPORTED_CPUID, without KVM.
enum SampleTables {
    /// An AMD-like host with AVX-512, XSAVE components 0-2 and 5-7, and KVM's
    /// paravirtual leaves: most catalog features on.
    static let rich = CPUIDTable(entries: [
        CPUIDEntry(function: 0x0, eax: 0x1C, ebx: 0x6874_7541, ecx: 0x444D_4163, edx: 0x6974_6E65),
        CPUIDEntry(function: 0x1, eax: 0x00A1_0F11, ebx: 0x0002_0800, ecx: 0xF7F8_3203, edx: 0x178B_FBFF),
        CPUIDEntry(function: 0x6, eax: 0x4),
        CPUIDEntry(function: 0x7, index: 0, flags: 1, eax: 1, ebx: 0xF1BF_07AB, ecx: 0x0040_5FCE, edx: 0x10),
        CPUIDEntry(function: 0x7, index: 1, flags: 1, eax: 0x30),
        CPUIDEntry(function: 0xB, index: 0, flags: 1, eax: 1, ebx: 1, ecx: 0x100),
        CPUIDEntry(function: 0xD, index: 0, flags: 1, eax: 0xE7, ebx: 0x980, ecx: 0x980),
        CPUIDEntry(function: 0xD, index: 1, flags: 1, eax: 0xF),
        CPUIDEntry(function: 0xD, index: 2, flags: 1, eax: 0x100, ebx: 0x240),
        CPUIDEntry(function: 0xD, index: 5, flags: 1, eax: 0x40, ebx: 0x340),
        CPUIDEntry(function: 0xD, index: 6, flags: 1, eax: 0x200, ebx: 0x380),
        CPUIDEntry(function: 0xD, index: 7, flags: 1, eax: 0x400, ebx: 0x580),
        CPUIDEntry(function: 0x14, index: 0, flags: 1),
        CPUIDEntry(function: 0x1F, index: 0, flags: 1, eax: 1, ebx: 1, ecx: 0x100),
        CPUIDEntry(function: 0x4000_0000, eax: 0x4000_0001, ebx: 0x4B4D_564B, ecx: 0x564B_4D56, edx: 0x4D),
        CPUIDEntry(function: 0x4000_0001, eax: 0x0101_FEFB, edx: 0x1),
        CPUIDEntry(function: 0x8000_0000, eax: 0x8000_0021, ebx: 0x6874_7541, ecx: 0x444D_4163, edx: 0x6974_6E65),
        CPUIDEntry(function: 0x8000_0001, eax: 0x00A1_0F11, ecx: 0x0040_03F3, edx: 0x2FD3_FBFF),
        CPUIDEntry(function: 0x8000_0007, edx: 0x100),
        CPUIDEntry(function: 0x8000_0008, eax: 0x3030, ebx: 0x0000_0205, ecx: 0x7001),
        CPUIDEntry(function: 0x8000_001D, index: 0, flags: 1, eax: 0x121),
        CPUIDEntry(function: 0x8000_001E, eax: 0),
        CPUIDEntry(function: 0x8000_0021, eax: 0x204),
    ])

    /// Like the development host: no SSE3-SSE4.2, POPCNT, XSAVE or AVX in leaf 1.
    static let sparse: CPUIDTable = {
        var table = rich
        table.set(.leaf1ECX, to: 0x8120_2000)
        table.set(.leaf7EBX, to: 0x0180_0002)
        table.set(.leaf7ECX, to: 0x104)
        return table
    }()

    static func feature(_ name: String) -> CPUFeature {
        guard let feature = CPUFeatureCatalog.feature(named: name) else {
            preconditionFailure("no feature \(name) in the catalog")
        }
        return feature
    }

    static func edits(_ list: String) throws(CPUIDPolicyError) -> [CPUFeatureEdit] { try CPUFeatureEdit.parseList(list) }
}
