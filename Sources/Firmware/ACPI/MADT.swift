/// The Multiple APIC Description Table ("APIC"): the interrupt controllers.
///
/// One processor local APIC per vCPU (ACPI processor UID = APIC ID = index,
/// enabled), the I/O APIC (ID = `cpuCount`, as in the MP table, GSI base 0), the
/// interrupt source overrides, and the local APIC NMI on LINT1 of every processor.
/// The flags say PCAT_COMPAT: KVM's in-kernel 8259 pair exists (Linux masks it).
///
/// The overrides state what KVM's in-kernel irqchip does (GSI n drives I/O APIC pin
/// n, see docs/firmware.md). IRQ 0 -> GSI 0: Linux maps ISA IRQs without an
/// override one to one already, but the PC convention (and QEMU's tables) is IRQ 0
/// -> GSI 2, so the identity is stated rather than left to assumption. IRQ 9 -> GSI
/// 9, level-triggered, active high: without an override Linux programs the SCI as
/// the specification's default, level active low, and KVM's I/O APIC then sees the
/// idle line as asserted.
public struct MADT: Sendable {
    public static let signature = "APIC"
    public static let revision: UInt8 = 4
    /// MADT flags bit 0: a dual 8259 is present.
    public static let pcatCompatible: UInt32 = 1

    /// One interrupt source override: ISA `source` IRQ to `gsi`, with MPS INTI flags.
    public struct Override: Sendable, Equatable {
        public var source: UInt8
        public var gsi: UInt32
        /// Bits 0-1 polarity (0 conforms, 1 high, 3 low), bits 2-3 trigger (0 conforms, 1 edge, 3 level).
        public var flags: UInt16

        public init(source: UInt8, gsi: UInt32, flags: UInt16) {
            self.source = source
            self.gsi = gsi
            self.flags = flags
        }

        public static let activeHigh: UInt16 = 0x1
        public static let edge: UInt16 = 0x1 << 2
        public static let level: UInt16 = 0x3 << 2
    }

    /// Entry types.
    public enum EntryType {
        public static let localAPIC: UInt8 = 0
        public static let ioAPIC: UInt8 = 1
        public static let interruptSourceOverride: UInt8 = 2
        public static let localAPICNMI: UInt8 = 4
    }

    public let cpuCount: Int
    public let ioAPICID: UInt8
    public let overrides: [Override]

    /// The overrides swift-vmm states: IRQ 0 identity (edge, high as ISA), and the
    /// SCI identity, level-triggered, active high.
    public static let machineOverrides = [
        Override(source: 0, gsi: 0, flags: 0),
        Override(source: ACPIHardware.sciIRQ, gsi: UInt32(ACPIHardware.sciIRQ),
                 flags: Override.level | Override.activeHigh),
    ]

    public init(cpuCount: Int, ioAPICID: UInt8, overrides: [Override] = MADT.machineOverrides) {
        self.cpuCount = cpuCount
        self.ioAPICID = ioAPICID
        self.overrides = overrides
    }

    public var table: ACPITable {
        var body: [UInt8] = []
        body.appendLE(MPTable.localAPICAddress)
        body.appendLE(Self.pcatCompatible)
        for cpu in 0..<cpuCount {
            // Processor UID, APIC ID, flags: enabled.
            body += [EntryType.localAPIC, 8, UInt8(cpu), UInt8(cpu)]
            body.appendLE(UInt32(1))
        }
        body += [EntryType.ioAPIC, 12, ioAPICID, 0]
        body.appendLE(MPTable.ioAPICAddress)
        body.appendLE(UInt32(0))  // GSI base.
        for entry in overrides {
            body += [EntryType.interruptSourceOverride, 10, 0, entry.source]  // Bus 0: ISA.
            body.appendLE(entry.gsi)
            body.appendLE(entry.flags)
        }
        // Every processor (UID 0xFF): NMI on LINT1, flags conforming.
        body += [EntryType.localAPICNMI, 6, 0xFF, 0, 0, 1]
        return ACPITable(signature: Self.signature, revision: Self.revision, body: body)
    }
}
