/// A register of one CPUID leaf and subleaf: where a feature bit or an edit lives.
public struct CPUIDLocation: Hashable, Sendable, CustomStringConvertible, Comparable {
    public var leaf: UInt32
    public var subleaf: UInt32
    public var register: CPUIDRegister

    public init(leaf: UInt32, subleaf: UInt32 = 0, register: CPUIDRegister) {
        self.leaf = leaf
        self.subleaf = subleaf
        self.register = register
    }

    /// "0x7.0 ebx": the leaf in hex, the subleaf in decimal, the register.
    public var description: String { "0x\(String(leaf, radix: 16)).\(subleaf) \(register.rawValue)" }

    public static func < (lhs: CPUIDLocation, rhs: CPUIDLocation) -> Bool {
        (lhs.leaf, lhs.subleaf, lhs.register) < (rhs.leaf, rhs.subleaf, rhs.register)
    }

    public static let leaf1EDX = CPUIDLocation(leaf: 0x1, register: .edx)
    public static let leaf1ECX = CPUIDLocation(leaf: 0x1, register: .ecx)
    public static let leaf6EAX = CPUIDLocation(leaf: 0x6, register: .eax)
    public static let leaf7EBX = CPUIDLocation(leaf: 0x7, register: .ebx)
    public static let leaf7ECX = CPUIDLocation(leaf: 0x7, register: .ecx)
    public static let leaf7EDX = CPUIDLocation(leaf: 0x7, register: .edx)
    public static let leaf7Subleaf1EAX = CPUIDLocation(leaf: 0x7, subleaf: 1, register: .eax)
    public static let xsaveSubleaf1EAX = CPUIDLocation(leaf: 0xD, subleaf: 1, register: .eax)
    public static let extended1ECX = CPUIDLocation(leaf: 0x8000_0001, register: .ecx)
    public static let extended1EDX = CPUIDLocation(leaf: 0x8000_0001, register: .edx)
    public static let extended7EDX = CPUIDLocation(leaf: 0x8000_0007, register: .edx)
    public static let extended8EBX = CPUIDLocation(leaf: 0x8000_0008, register: .ebx)
    public static let kvmFeaturesEAX = CPUIDLocation(leaf: HypervisorLeaves.kvmFeatures, register: .eax)
    public static let kvmFeaturesEDX = CPUIDLocation(leaf: HypervisorLeaves.kvmFeatures, register: .edx)

    /// The registers that are plain feature bitmaps. A template keeps only its
    /// features' bits in them, and an edit may set a bit in them only if KVM
    /// supports it. Every other register (family and model, sizes, topology,
    /// signatures) is data and is kept as KVM reports it.
    public static let featureRegisters: Set<CPUIDLocation> = [
        leaf1EDX, leaf1ECX, leaf6EAX, leaf7EBX, leaf7ECX, leaf7EDX,
        leaf7Subleaf1EAX, CPUIDLocation(leaf: 0x7, subleaf: 1, register: .ebx),
        CPUIDLocation(leaf: 0x7, subleaf: 1, register: .ecx), CPUIDLocation(leaf: 0x7, subleaf: 1, register: .edx),
        xsaveSubleaf1EAX, extended1ECX, extended1EDX, extended7EDX, extended8EBX,
        kvmFeaturesEAX, kvmFeaturesEDX,
    ]
}
