/// The Intel MultiProcessor Specification 1.4 tables for a machine with `cpuCount`
/// CPUs, one I/O APIC and an ISA bus.
///
/// `bytes(at:)` returns two structures to be copied together to one guest physical
/// address: the 16-byte floating pointer ("_MP_") and, right after it, the
/// configuration table ("PCMP") with its entries in the order the specification
/// requires: processors, bus, I/O APIC, I/O interrupt assignments, local interrupt
/// assignments. Linux looks for the floating pointer in the first KiB of memory, the
/// last KiB of base memory and the BIOS area 0xF0000-0xFFFFF, on 16-byte boundaries.
///
/// ISA IRQs 0-15 go to I/O APIC pins 0-15 unchanged, because KVM's default routing
/// sends GSI n to pin n (IRQ 0 included, unlike a real board where the timer sits on
/// pin 2). ExtINT (the 8259) goes to LINT0 and NMI to LINT1 of every local APIC.
public struct MPTable: Sendable {
    /// CPU counts the table can describe.
    public static let supportedCPUCounts = 1...254
    /// Where the VMM places the table: the start of the BIOS area.
    public static let biosAreaBase: UInt64 = 0xF0000
    public static let localAPICAddress: UInt32 = 0xFEE0_0000
    public static let ioAPICAddress: UInt32 = 0xFEC0_0000
    /// An integrated local APIC (xAPIC), as KVM reports.
    public static let localAPICVersion: UInt8 = 0x14
    /// KVM's I/O APIC: version 0x11, 24 pins.
    public static let ioAPICVersion: UInt8 = 0x11
    /// ISA IRQs routed to the I/O APIC.
    public static let isaIRQCount = 16
    public static let oemID = "SWIFTVMM"
    public static let productID = "SWIFT-VMM"
    /// Family 6, model 15, stepping 1; Linux reads only the APIC ID and flags.
    public static let cpuSignature: UInt32 = 0x0000_06F1
    /// CPUID.1:EDX bits FPU (0) and APIC (9).
    public static let cpuFeatures: UInt32 = 0x0000_0201

    /// Sizes of the structures, in bytes.
    public enum Size {
        public static let floatingPointer = 16
        public static let header = 44
        public static let processor = 20
        /// Bus, I/O APIC and both kinds of interrupt assignment.
        public static let shortEntry = 8
    }

    /// Entry type codes (the first byte of each entry).
    public enum EntryType {
        public static let processor: UInt8 = 0
        public static let bus: UInt8 = 1
        public static let ioAPIC: UInt8 = 2
        public static let ioInterrupt: UInt8 = 3
        public static let localInterrupt: UInt8 = 4
    }

    /// Interrupt types of the assignment entries.
    public enum InterruptType {
        public static let vectored: UInt8 = 0
        public static let nmi: UInt8 = 1
        public static let extINT: UInt8 = 3
    }

    public let cpuCount: Int

    /// Fails when `cpuCount` is outside `supportedCPUCounts`.
    public init(cpuCount: Int) throws(FirmwareError) {
        guard Self.supportedCPUCounts.contains(cpuCount) else {
            throw .cpuCountOutOfRange(cpuCount, supported: Self.supportedCPUCounts)
        }
        self.cpuCount = cpuCount
    }

    /// The I/O APIC's ID: the first after the CPUs' APIC IDs 0..<cpuCount.
    public var ioAPICID: UInt8 { UInt8(cpuCount) }

    /// Processors, the bus, the I/O APIC, 16 ISA interrupts and 2 local interrupts.
    public var entryCount: Int { cpuCount + 2 + Self.isaIRQCount + 2 }

    /// The length of the configuration table, header and entries.
    public var configurationTableSize: Int {
        Size.header + cpuCount * Size.processor + (entryCount - cpuCount) * Size.shortEntry
    }

    /// The size of everything `bytes(at:)` returns.
    public var byteCount: Int { Size.floatingPointer + configurationTableSize }

    /// The floating pointer followed by the configuration table, for guest physical
    /// address `base`, which must be 16-byte aligned with the table ending below 4 GiB.
    public func bytes(at base: UInt64) throws(FirmwareError) -> [UInt8] {
        guard base % 16 == 0 else { throw .misalignedBase(base) }
        guard base < (1 << 32), UInt64(byteCount) <= (1 << 32) - base else {
            throw .tableAbove4GiB(base: base, size: byteCount)
        }
        let tableAddress = UInt32(base) + UInt32(Size.floatingPointer)
        var bytes = floatingPointer(tableAddress: tableAddress)
        bytes += configurationTable()
        return bytes
    }

    /// "_MP_", the table's address, length 1 (paragraph), revision 1.4, checksum,
    /// and feature bytes all 0: a configuration table is present, no IMCR (virtual
    /// wire mode).
    private func floatingPointer(tableAddress: UInt32) -> [UInt8] {
        var bytes = Array("_MP_".utf8)
        bytes.appendLE(tableAddress)
        bytes.append(1)  // Length in 16-byte paragraphs.
        bytes.append(4)  // Specification revision 1.4.
        bytes.append(0)  // Checksum, set below.
        bytes += [UInt8](repeating: 0, count: 5)
        bytes[10] = zeroSumChecksum(bytes)
        return bytes
    }

    private func configurationTable() -> [UInt8] {
        var bytes = Array("PCMP".utf8)
        bytes.appendLE(UInt16(configurationTableSize))
        bytes.append(4)  // Specification revision 1.4.
        bytes.append(0)  // Checksum, set below.
        bytes.appendASCII(Self.oemID, length: 8)
        bytes.appendASCII(Self.productID, length: 12)
        bytes.appendLE(UInt32(0))  // No OEM table.
        bytes.appendLE(UInt16(0))
        bytes.appendLE(UInt16(entryCount))
        bytes.appendLE(Self.localAPICAddress)
        bytes.appendLE(UInt16(0))  // No extended table.
        bytes.append(0)                      // Extended table checksum.
        bytes.append(0)                      // Reserved.
        for cpu in 0..<cpuCount { bytes += processorEntry(cpu) }
        bytes += [EntryType.bus, 0] + Array("ISA   ".utf8)
        bytes += [EntryType.ioAPIC, ioAPICID, Self.ioAPICVersion, 0x01]  // Enabled.
        bytes.appendLE(Self.ioAPICAddress)
        for irq in 0..<UInt8(Self.isaIRQCount) {
            // Flags 0: polarity and trigger conform to the ISA bus (active high, edge).
            bytes += [EntryType.ioInterrupt, InterruptType.vectored, 0, 0, 0, irq, ioAPICID, irq]
        }
        // To every local APIC (0xFF): the 8259's ExtINT on LINT0, NMI on LINT1.
        bytes += [EntryType.localInterrupt, InterruptType.extINT, 0, 0, 0, 0, 0xFF, 0]
        bytes += [EntryType.localInterrupt, InterruptType.nmi, 0, 0, 0, 0, 0xFF, 1]
        bytes[7] = zeroSumChecksum(bytes)
        return bytes
    }

    /// APIC ID = index, enabled, the bootstrap processor flag on CPU 0.
    private func processorEntry(_ cpu: Int) -> [UInt8] {
        let flags: UInt8 = cpu == 0 ? 0x03 : 0x01
        var bytes: [UInt8] = [EntryType.processor, UInt8(cpu), Self.localAPICVersion, flags]
        bytes.appendLE(Self.cpuSignature)
        bytes.appendLE(Self.cpuFeatures)
        bytes += [UInt8](repeating: 0, count: 8)
        return bytes
    }
}
