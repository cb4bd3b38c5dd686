import Firmware
import Testing

/// Little-endian field readers over the produced bytes.
private extension Array where Element == UInt8 {
    func u16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    func u32(_ offset: Int) -> UInt32 { UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16 }
    func text(_ offset: Int, _ count: Int) -> String { String(decoding: self[offset..<offset + count], as: UTF8.self) }
    func sum(_ range: Range<Int>) -> UInt8 { self[range].reduce(0, &+) }
}

/// The configuration table's entries, split by their type byte.
private func entries(_ bytes: [UInt8], tableOffset: Int) -> [[UInt8]] {
    var result: [[UInt8]] = []
    var offset = tableOffset + 44
    let end = tableOffset + Int(bytes.u16(tableOffset + 4))
    while offset < end {
        let length = bytes[offset] == 0 ? 20 : 8
        result.append(Array(bytes[offset..<offset + length]))
        offset += length
    }
    return result
}

@Suite struct MPTableTests {
    static let base: UInt64 = 0xF0000

    @Test(arguments: [1, 2, 4, 254])
    func structuresAreValid(cpuCount: Int) throws {
        let table = try MPTable(cpuCount: cpuCount)
        let bytes = try table.bytes(at: Self.base)
        #expect(bytes.count == table.byteCount)

        // Floating pointer.
        #expect(bytes.text(0, 4) == "_MP_")
        #expect(bytes.u32(4) == UInt32(Self.base) + 16, "config table right after the pointer")
        #expect(bytes[8] == 1, "length in paragraphs")
        #expect(bytes[9] == 4, "revision 1.4")
        #expect(bytes.sum(0..<16) == 0)
        #expect(bytes[11] == 0 && bytes[12] == 0, "table present, virtual wire mode")

        // Configuration table header.
        let tableOffset = Int(bytes.u32(4) - UInt32(Self.base))
        let length = Int(bytes.u16(tableOffset + 4))
        #expect(bytes.text(tableOffset, 4) == "PCMP")
        #expect(tableOffset + length == bytes.count)
        #expect(length == 44 + 20 * cpuCount + 8 * 20)
        #expect(bytes[tableOffset + 6] == 4)
        #expect(bytes.sum(tableOffset..<tableOffset + length) == 0)
        #expect(bytes.text(tableOffset + 8, 8) == "SWIFTVMM")
        #expect(bytes.text(tableOffset + 16, 12) == "SWIFT-VMM   ")
        #expect(Int(bytes.u16(tableOffset + 34)) == cpuCount + 20)
        #expect(bytes.u32(tableOffset + 36) == 0xFEE0_0000)
        #expect(bytes.u16(tableOffset + 40) == 0, "no extended table")

        let all = entries(bytes, tableOffset: tableOffset)
        #expect(all.count == cpuCount + 20)
        #expect(all.map { $0[0] } == [UInt8](repeating: 0, count: cpuCount) + [1, 2]
            + [UInt8](repeating: 3, count: 16) + [4, 4], "entries sorted by type")
    }

    @Test func processorEntries() throws {
        let bytes = try MPTable(cpuCount: 3).bytes(at: Self.base)
        let processors = entries(bytes, tableOffset: 16).filter { $0[0] == 0 }
        #expect(processors.map { $0[1] } == [0, 1, 2], "APIC ID = index")
        #expect(processors.map { $0[3] } == [0x03, 0x01, 0x01], "enabled; BSP flag on CPU 0 only")
        #expect(processors.allSatisfy { $0[2] == 0x14 })
        #expect(processors.allSatisfy { $0.u32(8) & 0x200 != 0 }, "feature flags report an APIC")
    }

    @Test func busAndIOAPIC() throws {
        let all = entries(try MPTable(cpuCount: 2).bytes(at: Self.base), tableOffset: 16)
        let bus = try #require(all.first { $0[0] == 1 })
        #expect(bus[1] == 0)
        #expect(bus.text(2, 6) == "ISA   ")
        let ioAPIC = try #require(all.first { $0[0] == 2 })
        #expect(ioAPIC[1] == 2, "I/O APIC ID follows the CPUs")
        #expect(ioAPIC[2] == 0x11)
        #expect(ioAPIC[3] == 0x01, "enabled")
        #expect(ioAPIC.u32(4) == 0xFEC0_0000)
    }

    @Test func isaInterruptsMapToTheSamePin() throws {
        let all = entries(try MPTable(cpuCount: 2).bytes(at: Self.base), tableOffset: 16)
        let routes = all.filter { $0[0] == 3 }
        #expect(routes.count == 16)
        for (irq, route) in routes.enumerated() {
            #expect(route[1] == 0, "INT")
            #expect(route.u16(2) == 0, "conforming polarity and trigger")
            #expect(route[4] == 0, "from the ISA bus")
            #expect(route[5] == UInt8(irq))
            #expect(route[6] == 2, "to the I/O APIC")
            #expect(route[7] == UInt8(irq), "pin = IRQ")
        }
    }

    @Test func localInterruptsGoToEveryLocalAPIC() throws {
        let all = entries(try MPTable(cpuCount: 1).bytes(at: Self.base), tableOffset: 16)
        let local = all.filter { $0[0] == 4 }
        #expect(local.map { $0[1] } == [3, 1], "ExtINT, then NMI")
        #expect(local.map { $0[6] } == [0xFF, 0xFF], "all local APICs")
        #expect(local.map { $0[7] } == [0, 1], "LINT0, LINT1")
    }

    @Test(arguments: [0, -1, 255, 1000])
    func cpuCountOutOfRange(cpuCount: Int) {
        #expect(throws: FirmwareError.cpuCountOutOfRange(cpuCount, supported: 1...254)) {
            try MPTable(cpuCount: cpuCount)
        }
    }

    @Test func baseMustBeAlignedAndBelow4GiB() throws {
        let table = try MPTable(cpuCount: 1)
        #expect(throws: FirmwareError.misalignedBase(0xF0008)) { try table.bytes(at: 0xF0008) }
        #expect(throws: FirmwareError.tableAbove4GiB(base: 1 << 32, size: table.byteCount)) {
            try table.bytes(at: 1 << 32)
        }
        let last = (UInt64(1) << 32) - UInt64(table.byteCount)
        let alignedLast = last & ~15
        #expect(try table.bytes(at: alignedLast).count == table.byteCount)
        #expect(throws: FirmwareError.tableAbove4GiB(base: alignedLast + 16, size: table.byteCount)) {
            try table.bytes(at: alignedLast + 16)
        }
    }

    @Test func errorsSayWhatIsWrong() {
        let error = FirmwareError.cpuCountOutOfRange(300, supported: 1...254)
        #expect(error.description.contains("300"))
        #expect(error.description.contains("1...254"))
    }

    @Test func pointerFollowsTheBase() throws {
        let bytes = try MPTable(cpuCount: 1).bytes(at: 0x9FC00)
        #expect(bytes.u32(4) == 0x9FC10)
    }
}
