/// All the ACPI tables of a machine, laid out for one guest physical address:
/// the RSDP first, then the FACS, DSDT, FADT, MADT, XSDT and RSDT, each on a 16-byte
/// boundary (the FACS on 64). The XSDT and the RSDT both list the FADT and the MADT;
/// the FADT points at the DSDT and the FACS.
///
/// The VMM copies `bytes(at:)` to `rsdpAddress` (0xE0000), inside the BIOS area Linux
/// and the test guests scan for "RSD PTR " on 16-byte boundaries, and marks
/// `region` as ACPI data in the memory map. The MP table keeps 0xF0000.
public struct ACPITables: Sendable {
    /// Where the VMM places the RSDP, and with it every table.
    public static let rsdpAddress: UInt64 = 0xE0000
    /// The 64 KiB below the MP table's BIOS area, reserved for the tables.
    public static let regionBase: UInt64 = 0xE0000
    public static let regionSize: UInt64 = 0x10000
    public static let rsdpSize = 36
    public static let rsdpRevision: UInt8 = 2

    /// A table and where it goes.
    public struct Placed: Sendable, Equatable {
        public var signature: String
        public var address: UInt64
        public var bytes: [UInt8]
    }

    public let madt: MADT
    public let dsdt: DSDT

    /// Fails when `cpuCount` is outside `MPTable.supportedCPUCounts` (the I/O APIC
    /// takes the APIC ID after the CPUs', as in the MP table).
    public init(cpuCount: Int, serialPorts: [DSDT.SerialPort] = [DSDT.SerialPort(port: 0x3F8, irq: 4)],
                virtioDevices: [DSDT.VirtioMMIODevice] = []) throws(FirmwareError) {
        let mp = try MPTable(cpuCount: cpuCount)
        madt = MADT(cpuCount: cpuCount, ioAPICID: mp.ioAPICID)
        dsdt = DSDT(cpuCount: cpuCount, serialPorts: serialPorts, virtioDevices: virtioDevices)
    }

    /// Every structure with its address, the RSDP at `base` first. `base` must be
    /// 16-byte aligned and everything must end below 4 GiB (the RSDT and the legacy
    /// FADT fields are 32-bit).
    public func layout(at base: UInt64) throws(FirmwareError) -> [Placed] {
        guard base % 16 == 0 else { throw .misalignedBase(base) }
        var placed: [Placed] = []
        var next = base + UInt64(Self.rsdpSize)
        func place(_ signature: String, _ bytes: [UInt8], alignment: UInt64 = 16) -> UInt64 {
            let address = (next + alignment - 1) / alignment * alignment
            placed.append(Placed(signature: signature, address: address, bytes: bytes))
            next = address + UInt64(bytes.count)
            return address
        }
        let facs = place("FACS", FACS.bytes, alignment: FACS.alignment)
        let dsdtAddress = place(DSDT.signature, try dsdt.table().bytes)
        let fadt = place(FADT.signature, FADT(dsdtAddress: dsdtAddress, facsAddress: facs).table.bytes)
        let madtAddress = place(MADT.signature, madt.table.bytes)
        var xsdtBody: [UInt8] = []
        var rsdtBody: [UInt8] = []
        for address in [fadt, madtAddress] {
            xsdtBody.appendLE(address)
            rsdtBody.appendLE(UInt32(truncatingIfNeeded: address))
        }
        let xsdt = place("XSDT", ACPITable(signature: "XSDT", revision: 1, body: xsdtBody).bytes)
        let rsdt = place("RSDT", ACPITable(signature: "RSDT", revision: 1, body: rsdtBody).bytes)
        guard next <= 1 << 32 else { throw .tableAbove4GiB(base: base, size: Int(next - base)) }
        let rsdp = Placed(signature: "RSD PTR ", address: base,
                          bytes: Self.rsdp(rsdtAddress: UInt32(rsdt), xsdtAddress: xsdt))
        return [rsdp] + placed
    }

    /// The whole layout as one byte array to copy to `base` (gaps zeroed).
    public func bytes(at base: UInt64) throws(FirmwareError) -> [UInt8] {
        let placed = try layout(at: base)
        let end = placed.map { $0.address + UInt64($0.bytes.count) }.max() ?? base
        var bytes = [UInt8](repeating: 0, count: Int(end - base))
        for table in placed {
            let offset = Int(table.address - base)
            bytes.replaceSubrange(offset..<offset + table.bytes.count, with: table.bytes)
        }
        return bytes
    }

    /// The Root System Description Pointer, revision 2: the first checksum covers
    /// the first 20 bytes (the ACPI 1.0 structure), the extended one all 36.
    static func rsdp(rsdtAddress: UInt32, xsdtAddress: UInt64) -> [UInt8] {
        var bytes = Array("RSD PTR ".utf8)
        bytes.append(0)  // Checksum, set below.
        bytes.appendASCII(ACPITable.oemID, length: 6)
        bytes.append(rsdpRevision)
        bytes.appendLE(rsdtAddress)
        bytes.appendLE(UInt32(rsdpSize))
        bytes.appendLE(xsdtAddress)
        bytes += [0, 0, 0, 0]  // Extended checksum, reserved.
        bytes[8] = zeroSumChecksum(bytes[0..<20])
        bytes[32] = zeroSumChecksum(bytes)
        return bytes
    }
}
