import Firmware
import Testing

private extension Array where Element == UInt8 {
    func u16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    func u32(_ offset: Int) -> UInt32 { UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16 }
    func u64(_ offset: Int) -> UInt64 { UInt64(u32(offset)) | UInt64(u32(offset + 4)) << 32 }
    func text(_ offset: Int, _ count: Int) -> String { String(decoding: self[offset..<offset + count], as: UTF8.self) }
    func sum(_ range: Range<Int>) -> UInt8 { self[range].reduce(0, &+) }
    func contains(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<$0 + needle.count]) == needle }
    }
}

@Suite struct ACPITablesTests {
    static let base = ACPITables.rsdpAddress
    static let virtio = [DSDT.VirtioMMIODevice(base: 0xD000_0000, size: 0x1000, gsi: 5),
                         DSDT.VirtioMMIODevice(base: 0xD000_1000, size: 0x1000, gsi: 6)]

    /// The table at guest address `address` in the blob copied to `base`.
    static func table(_ blob: [UInt8], at address: UInt64) -> [UInt8] {
        let offset = Int(address - base)
        let length = Int(blob.u32(offset + 4))
        return Array(blob[offset..<offset + length])
    }

    @Test(arguments: [1, 2, 4, 254])
    func everyPointerAndChecksumHolds(cpuCount: Int) throws {
        let tables = try ACPITables(cpuCount: cpuCount, virtioDevices: Self.virtio)
        let blob = try tables.bytes(at: Self.base)
        #expect(UInt64(blob.count) <= ACPITables.regionSize)

        // RSDP revision 2: both checksums, the XSDT and RSDT addresses.
        #expect(blob.text(0, 8) == "RSD PTR ")
        #expect(blob.sum(0..<20) == 0 && blob.sum(0..<36) == 0)
        #expect(blob[15] == 2 && blob.u32(20) == 36)
        let xsdt = Self.table(blob, at: blob.u64(24))
        let rsdt = Self.table(blob, at: UInt64(blob.u32(16)))
        #expect(xsdt.text(0, 4) == "XSDT" && rsdt.text(0, 4) == "RSDT")
        #expect(xsdt.sum(0..<xsdt.count) == 0 && rsdt.sum(0..<rsdt.count) == 0)
        #expect(xsdt.count == 36 + 16 && rsdt.count == 36 + 8)

        let listed = (0..<2).map { Self.table(blob, at: xsdt.u64(36 + 8 * $0)) }
        #expect(listed.map { $0.text(0, 4) } == ["FACP", "APIC"])
        #expect((0..<2).map { UInt64(rsdt.u32(36 + 4 * $0)) } == (0..<2).map { xsdt.u64(36 + 8 * $0) })
        for table in listed { #expect(table.sum(0..<table.count) == 0, "\(table.text(0, 4)) checksum") }

        let fadt = listed[0]
        #expect(fadt.count == 276 && fadt[8] == 6)
        let dsdt = Self.table(blob, at: fadt.u64(140))
        #expect(UInt64(fadt.u32(40)) == fadt.u64(140), "DSDT and X_DSDT agree")
        #expect(dsdt.text(0, 4) == "DSDT" && dsdt.sum(0..<dsdt.count) == 0)
        let facsOffset = Int(UInt64(fadt.u32(36)) - Self.base)
        #expect(blob.text(facsOffset, 4) == "FACS" && blob.u32(facsOffset + 4) == 64)
        #expect((Self.base + UInt64(facsOffset)) % 64 == 0)
    }

    @Test func fadtDescribesTheFixedHardware() throws {
        let fadt = FADT(dsdtAddress: 0xE1000, facsAddress: 0xE0040).table.bytes
        #expect(fadt.u16(46) == 9, "SCI_INT")
        #expect(fadt.u32(48) == 0, "no SMI command port")
        #expect(fadt.u32(56) == 0x600 && fadt.u32(64) == 0x604 && fadt.u32(76) == 0x608)
        #expect(fadt[88] == 4 && fadt[89] == 2 && fadt[91] == 4)
        let flags = fadt.u32(112)
        #expect(flags & FADT.Flag.timerValueExtended == 0, "24-bit PM timer")
        #expect(flags & FADT.Flag.hardwareReduced == 0)
        #expect(flags & FADT.Flag.resetRegisterSupported != 0)
        // RESET_REG: system I/O, 8 bits, byte access, port 0x60C; value 1.
        #expect(Array(fadt[116..<120]) == [1, 8, 0, 1] && fadt.u64(120) == 0x60C && fadt[128] == 1)
        // X_PM1a_EVT, X_PM1a_CNT, X_PM_TMR as Generic Address Structures.
        #expect(Array(fadt[148..<152]) == [1, 32, 0, 2] && fadt.u64(152) == 0x600)
        #expect(Array(fadt[172..<176]) == [1, 16, 0, 2] && fadt.u64(176) == 0x604)
        #expect(Array(fadt[208..<212]) == [1, 32, 0, 3] && fadt.u64(212) == 0x608)
    }

    @Test(arguments: [1, 2, 4])
    func madtListsEveryCPUTheIOAPICAndTheOverrides(cpuCount: Int) throws {
        let madt = MADT(cpuCount: cpuCount, ioAPICID: UInt8(cpuCount)).table.bytes
        #expect(madt.text(0, 4) == "APIC" && madt.sum(0..<madt.count) == 0)
        #expect(madt.u32(36) == 0xFEE0_0000 && madt.u32(40) == 1, "local APIC address, PCAT_COMPAT")
        var entries: [[UInt8]] = []
        var offset = 44
        while offset < madt.count {
            let length = Int(madt[offset + 1])
            entries.append(Array(madt[offset..<offset + length]))
            offset += length
        }
        #expect(offset == madt.count)
        let cpus = entries.filter { $0[0] == 0 }
        #expect(cpus.map { [$0[2], $0[3]] } == (0..<cpuCount).map { [UInt8($0), UInt8($0)] }, "UID = APIC ID = index")
        #expect(cpus.allSatisfy { $0.u32(4) == 1 }, "enabled")
        let ioAPICs = entries.filter { $0[0] == 1 }
        #expect(ioAPICs.count == 1 && ioAPICs[0][2] == UInt8(cpuCount) && ioAPICs[0].u32(4) == 0xFEC0_0000
                && ioAPICs[0].u32(8) == 0)
        let overrides = entries.filter { $0[0] == 2 }.map { [UInt32($0[3]), $0.u32(4), UInt32($0.u16(8))] }
        #expect(overrides == [[0, 0, 0], [9, 9, 0x0D]], "IRQ 0 identity; SCI 9 identity, level, active high")
        let nmis = entries.filter { $0[0] == 4 }
        #expect(nmis == [[4, 6, 0xFF, 0, 0, 1]], "NMI on LINT1 of every processor")
    }

    @Test func dsdtDescribesTheDevicesAndS5() throws {
        let dsdt = try DSDT(cpuCount: 2, serialPorts: [DSDT.SerialPort(port: 0x3F8, irq: 4)],
                            virtioDevices: Self.virtio).table().bytes
        #expect(dsdt[8] == 2, "revision 2: 64-bit integers")
        #expect(dsdt.contains(Array("LNRO0005".utf8) + [0]))
        #expect(dsdt.contains([0x0C, 0x41, 0xD0, 0x05, 0x01]), "EisaId (\"PNP0501\")")
        #expect(dsdt.contains([0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00]))
        #expect(dsdt.contains([0x86, 0x09, 0x00, 0x01, 0x00, 0x10, 0x00, 0xD0]), "second virtio window")
        #expect(dsdt.contains([0x89, 0x06, 0x00, 0x03, 0x01, 0x06, 0, 0, 0]), "its GSI 6, edge, active high")
        #expect(dsdt.contains([0x08] + Array("_S5_".utf8) + [0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00]))
        for name in ["C000", "C001", "COM1", "V000", "V001"] { #expect(dsdt.contains(Array(name.utf8)), "\(name)") }
        #expect(!dsdt.contains(Array("C002".utf8)))
    }

    @Test func badPlacementsAndCountsFail() throws {
        #expect(throws: FirmwareError.misalignedBase(0xE0008)) { try ACPITables(cpuCount: 1).bytes(at: 0xE0008) }
        #expect(throws: FirmwareError.self) { try ACPITables(cpuCount: 1).bytes(at: 0xFFFF_FF00) }
        #expect(throws: FirmwareError.self) { try ACPITables(cpuCount: 0) }
        #expect(throws: FirmwareError.self) { try ACPITables(cpuCount: 255) }
        let high = DSDT.VirtioMMIODevice(base: 0x1_0000_0000, size: 0x1000, gsi: 5)
        #expect(throws: FirmwareError.self) { try ACPITables(cpuCount: 1, virtioDevices: [high]).bytes(at: Self.base) }
    }
}
