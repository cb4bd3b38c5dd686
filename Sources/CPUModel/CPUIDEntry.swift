/// One CPUID leaf (function, index) and the four registers it returns.
public struct CPUIDEntry: Hashable, Sendable {
    public var function: UInt32
    public var index: UInt32
    /// KVM_CPUID_FLAG_* bits (e.g. whether `index` is significant).
    public var flags: UInt32
    public var eax: UInt32
    public var ebx: UInt32
    public var ecx: UInt32
    public var edx: UInt32

    /// KVM_CPUID_FLAG_SIGNIFCANT_INDEX: the leaf has subleaves, selected by ECX.
    public static let significantIndex: UInt32 = 1

    public init(function: UInt32, index: UInt32 = 0, flags: UInt32 = 0,
                eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0) {
        self.function = function
        self.index = index
        self.flags = flags
        self.eax = eax
        self.ebx = ebx
        self.ecx = ecx
        self.edx = edx
    }

    /// One register's value.
    public subscript(register: CPUIDRegister) -> UInt32 {
        get {
            switch register {
            case .eax: return eax
            case .ebx: return ebx
            case .ecx: return ecx
            case .edx: return edx
            }
        }
        set {
            switch register {
            case .eax: eax = newValue
            case .ebx: ebx = newValue
            case .ecx: ecx = newValue
            case .edx: edx = newValue
            }
        }
    }
}
