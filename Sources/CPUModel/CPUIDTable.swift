/// A set of CPUID leaves, as KVM reports them supported or as set on a vCPU.
public struct CPUIDTable: Sendable, Equatable {
    public var entries: [CPUIDEntry]

    public init(entries: [CPUIDEntry]) { self.entries = entries }

    /// The entry for (function, index), if present.
    public func entry(function: UInt32, index: UInt32 = 0) -> CPUIDEntry? {
        entries.first { $0.function == function && $0.index == index }
    }

    /// Applies `change` to every entry of `function` (all indices).
    public mutating func modify(function: UInt32, _ change: (inout CPUIDEntry) -> Void) {
        for i in entries.indices where entries[i].function == function { change(&entries[i]) }
    }

    /// The value of one register, or nil when the leaf or subleaf is not in the table.
    public subscript(location: CPUIDLocation) -> UInt32? {
        entry(function: location.leaf, index: location.subleaf)?[location.register]
    }

    /// Sets one register; returns false when the leaf or subleaf is not in the table.
    @discardableResult
    public mutating func set(_ location: CPUIDLocation, to value: UInt32) -> Bool {
        guard let i = entries.firstIndex(where: { $0.function == location.leaf && $0.index == location.subleaf })
        else { return false }
        entries[i][location.register] = value
        return true
    }

    /// Whether bit `bit` of a register is set (false when the leaf is absent).
    public func isSet(_ location: CPUIDLocation, bit: Int) -> Bool {
        guard let value = self[location] else { return false }
        return value & (1 << UInt32(bit)) != 0
    }

    /// Sets or clears one bit; does nothing when the leaf is absent.
    public mutating func setBit(_ location: CPUIDLocation, bit: Int, to on: Bool) {
        guard let value = self[location] else { return }
        let mask: UInt32 = 1 << UInt32(bit)
        set(location, to: on ? value | mask : value & ~mask)
    }

    /// Inserts `entry`, or replaces the entry with the same function and index.
    public mutating func insert(_ entry: CPUIDEntry) {
        if let i = entries.firstIndex(where: { $0.function == entry.function && $0.index == entry.index }) {
            entries[i] = entry
        } else {
            entries.append(entry)
        }
    }

    /// The table for the vCPU whose initial APIC ID is `id`: CPUID.1:EBX[31:24]
    /// and the x2APIC ID in EDX of the topology leaves 0xB and 0x1F.
    public func withAPICID(_ id: UInt32) -> CPUIDTable {
        var table = self
        table.modify(function: 0x1) { $0.ebx = ($0.ebx & 0x00FF_FFFF) | ((id & 0xFF) << 24) }
        table.modify(function: 0xB) { $0.edx = id }
        table.modify(function: 0x1F) { $0.edx = id }
        return table
    }

    /// Entries in (function, index) order, for printing and comparing.
    public var sorted: [CPUIDEntry] {
        entries.sorted { ($0.function, $0.index) < ($1.function, $1.index) }
    }
}
