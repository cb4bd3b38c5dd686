/// A raw edit of one CPUID register: the bits in `mask` become those of `value`.
public struct CPUIDEdit: Sendable, Hashable, CustomStringConvertible {
    public var location: CPUIDLocation
    public var mask: UInt32
    public var value: UInt32

    /// `value` must not have bits outside `mask`.
    public init(leaf: UInt32, subleaf: UInt32 = 0, register: CPUIDRegister, mask: UInt32 = .max, value: UInt32) {
        location = CPUIDLocation(leaf: leaf, subleaf: subleaf, register: register)
        self.mask = mask
        self.value = value & mask
    }

    /// One bit set (`on`) or cleared.
    public init(leaf: UInt32, subleaf: UInt32 = 0, register: CPUIDRegister, bit: Int, on: Bool) {
        let mask: UInt32 = 1 << UInt32(bit)
        self.init(leaf: leaf, subleaf: subleaf, register: register, mask: mask, value: on ? mask : 0)
    }

    /// The register after the edit.
    public func applied(to old: UInt32) -> UInt32 { (old & ~mask) | value }

    public var description: String {
        "\(location) mask 0x\(String(mask, radix: 16)) value 0x\(String(value, radix: 16))"
    }
}
