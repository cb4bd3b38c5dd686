/// A named CPUID feature bit, named as Linux's /proc/cpuinfo names it.
public struct CPUFeature: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    /// Other accepted names (e.g. `sse3` for `pni`, `lzcnt` for `abm`).
    public let aliases: [String]
    public let location: CPUIDLocation
    public let bit: Int
    public let kind: CPUFeatureKind
    /// Features this one cannot work without: removing any of them removes this one.
    public let requires: [String]
    /// AMD repeats this CPUID.1:EDX bit at the same position of CPUID.0x80000001:EDX;
    /// a policy changes both.
    public let mirroredInExtendedLeaf: Bool

    public init(_ name: String, _ location: CPUIDLocation, _ bit: Int, aliases: [String] = [],
                kind: CPUFeatureKind = .processor, requires: [String] = [], mirrored: Bool = false) {
        self.name = name
        self.aliases = aliases
        self.location = location
        self.bit = bit
        self.kind = kind
        self.requires = requires
        self.mirroredInExtendedLeaf = mirrored
    }

    public var mask: UInt32 { 1 << UInt32(bit) }

    /// Every register and bit this feature occupies (the AMD mirror included).
    public var places: [CPUIDLocation] {
        mirroredInExtendedLeaf ? [location, .extended1EDX] : [location]
    }

    /// "avx (0x1.0 ecx bit 28)".
    public var description: String { "\(name) (\(location) bit \(bit))" }
}
