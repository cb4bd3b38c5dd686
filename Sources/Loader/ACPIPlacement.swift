import Memory

/// Where the VMM places the ACPI tables: the RSDP's address and the whole region
/// (RSDP included), which the memory maps list as ACPI data. The loader writes no
/// table; it only tells the guest where they are.
public struct ACPIPlacement: Sendable, Equatable {
    public var rsdp: GuestAddress
    public var tables: GuestRange

    public init(rsdp: GuestAddress, tables: GuestRange) {
        self.rsdp = rsdp
        self.tables = tables
    }
}
