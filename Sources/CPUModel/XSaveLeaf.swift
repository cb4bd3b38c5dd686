/// CPUID leaf 0xD (XSAVE state components) kept consistent with the features a
/// policy removed: removing `xsave` zeroes the leaf; removing `avx`, `mpx`,
/// `avx512f`, `pku` or `amx_tile` removes their state components from XCR0's
/// supported bits (0xD.0 EAX), drops their subleaves and shrinks the area size.
enum XSaveLeaf {
    static let leaf: UInt32 = 0xD
    /// Legacy region (512 bytes) plus the XSAVE header (64).
    static let legacyAreaSize: UInt32 = 576

    /// User state components (XCR0 bits) and the feature that owns each.
    static let components: [(bit: UInt32, feature: String)] = [
        (2, "avx"), (3, "mpx"), (4, "mpx"), (5, "avx512f"), (6, "avx512f"), (7, "avx512f"), (9, "pku"),
        (17, "amx_tile"), (18, "amx_tile"),
    ]

    /// Trims leaf 0xD for the features in `removed` (names).
    static func trim(_ table: inout CPUIDTable, removed: Set<String>) {
        guard table.entry(function: leaf) != nil else { return }
        if removed.contains("xsave") {
            table.entries.removeAll { $0.function == leaf && $0.index > 1 }
            table.modify(function: leaf) { entry in
                entry.eax = 0
                entry.ebx = 0
                entry.ecx = 0
                entry.edx = 0
            }
            return
        }
        let gone = components.filter { removed.contains($0.feature) }.map(\.bit)
        guard let main = table.entry(function: leaf, index: 0),
              gone.contains(where: { main.eax & (1 << $0) != 0 || table.entry(function: leaf, index: $0) != nil })
        else { return }
        table.entries.removeAll { $0.function == leaf && gone.contains($0.index) }
        let xcr0 = gone.reduce(main.eax) { $0 & ~(1 << $1) }
        var size = legacyAreaSize
        for entry in table.entries where entry.function == leaf && entry.index >= 2 && entry.index < 32 {
            if xcr0 & (1 << entry.index) != 0 { size = max(size, entry.ebx &+ entry.eax) }
        }
        var updated = main
        updated.eax = xcr0
        updated.ecx = size
        updated.ebx = min(main.ebx, size)
        table.insert(updated)
    }
}
