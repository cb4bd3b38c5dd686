/// The hypervisor CPUID range (0x40000000-0x4000FFFF, in blocks of 0x100).
///
/// KVM's own leaves stay where KVM reports them, at 0x40000000 ("KVMKVMKVM",
/// max leaf 0x40000001) and 0x40000001 (paravirtual features): every guest that
/// knows KVM finds it there, including those that read only 0x40000000
/// (systemd-detect-virt, virt-what, older kernels). swift-vmm's signature
/// ("SwiftVMM" then four NUL bytes) is a block of its own at the next free
/// 0x100 boundary, 0x40000100, where a guest that scans the range the way Linux's
/// `hypervisor_cpuid_base()` does finds it. This is how QEMU places KVM's leaves
/// next to Hyper-V's, with the two swapped.
///
/// Of the paravirtual features (CPUID 0x40000001), swift-vmm offers only those
/// KVM implements by itself with the in-kernel irqchip swift-vmm always creates;
/// see `CPUFeatureCatalog.paravirtual` and docs/cpuid.md.
public enum HypervisorLeaves {
    public static let rangeStart: UInt32 = 0x4000_0000
    public static let rangeEnd: UInt32 = 0x4001_0000
    public static let kvmSignatureLeaf: UInt32 = 0x4000_0000
    public static let kvmFeatures: UInt32 = 0x4000_0001
    /// "KVMKVMKVM\0\0\0" as EBX, ECX, EDX.
    public static let kvmSignature = "KVMKVMKVM\0\0\0"
    /// swift-vmm's signature as EBX, ECX, EDX.
    public static let signature = "SwiftVMM\0\0\0\0"

    /// The KVM paravirtual feature bits swift-vmm offers by default.
    public static var offeredFeatures: UInt32 {
        CPUFeatureCatalog.paravirtual.filter { $0.kind == .paravirtual && $0.location == .kvmFeaturesEAX }
            .reduce(0) { $0 | $1.mask }
    }

    /// The three signature registers (EBX, ECX, EDX) of a 12-byte signature.
    public static func registers(_ text: String) -> (ebx: UInt32, ecx: UInt32, edx: UInt32) {
        let bytes = Array(text.utf8) + [UInt8](repeating: 0, count: 12)
        func word(_ start: Int) -> UInt32 {
            (0..<4).reduce(0) { $0 | UInt32(bytes[start + $1]) << (8 * UInt32($1)) }
        }
        return (word(0), word(4), word(8))
    }

    /// The 12-byte signature of a signature leaf, NUL bytes included.
    public static func signature(of entry: CPUIDEntry) -> String {
        let bytes = [entry.ebx, entry.ecx, entry.edx].flatMap { word in (0..<4).map { UInt8((word >> (8 * $0)) & 0xFF) } }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Where swift-vmm's signature goes: the first 0x100 block with no leaf in `table`.
    public static func signatureBase(in table: CPUIDTable) -> UInt32 {
        var base = rangeStart
        while base < rangeEnd - 0x100 {
            if !table.entries.contains(where: { $0.function & 0xFFFF_FF00 == base }) { return base }
            base += 0x100
        }
        return base
    }

    /// KVM's paravirtual bits cut to what swift-vmm offers, the hints cleared,
    /// and swift-vmm's signature block added.
    static func apply(to table: inout CPUIDTable) {
        table.modify(function: kvmFeatures) { entry in
            entry.eax &= offeredFeatures
            entry.edx = 0
        }
        let base = signatureBase(in: table)
        let words = registers(signature)
        table.insert(CPUIDEntry(function: base, eax: base, ebx: words.ebx, ecx: words.ecx, edx: words.edx))
    }
}
