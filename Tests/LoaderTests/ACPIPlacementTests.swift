import Loader
import Memory
import Testing

/// `LoadOptions.acpi`: the loader announces tables it does not write.
@Suite struct ACPIPlacementTests {
    static let placement = ACPIPlacement(rsdp: GuestAddress(0xE0000),
                                         tables: GuestRange(start: GuestAddress(0xE0000), size: 0x10000))

    @Test func linuxZeroPageGetsTheRSDPAndAnACPIEntry() throws {
        let memory = try testMemory()
        let plan = try ImageLoader.load(BzImageBuilder().image, into: memory, options: LoadOptions(acpi: Self.placement))
        let page = try ZeroPageReader(memory)
        #expect(page.u64(0x070) == 0xE0000, "acpi_rsdp_addr")
        #expect(page.e820 == [
            E820Entry(base: 0, length: 0x9_FC00, type: 1),
            E820Entry(base: 0x9_FC00, length: 0x400, type: 2),
            E820Entry(base: 0xE_0000, length: 0x1_0000, type: 3),
            E820Entry(base: 0xF_0000, length: 0x1_0000, type: 2),
            E820Entry(base: 0x10_0000, length: 0x3F0_0000, type: 1),
        ])
        #expect(plan.rsdpAddress == GuestAddress(0xE0000))
    }

    @Test func withoutACPINothingChanges() throws {
        let memory = try testMemory()
        let plan = try ImageLoader.load(BzImageBuilder().image, into: memory, options: LoadOptions())
        #expect(try ZeroPageReader(memory).u64(0x070) == 0)
        #expect(try ZeroPageReader(memory).e820.allSatisfy { $0.type != 3 })
        #expect(plan.rsdpAddress == nil)
    }

    @Test func multibootMemoryMapListsTheTables() throws {
        let memory = try testMemory()
        let image = MultibootBuilder.aout(size: 0x800, headerOffset: 0x40, loadAddress: 0x10_0000,
                                          bssEnd: 0x10_2000, entryOffset: 0x100)
        let plan = try ImageLoader.load(image, into: memory, options: LoadOptions(acpi: Self.placement))
        let map = try InfoReader(memory: memory, base: 0x7000).memoryMap()
        #expect(map.contains { $0 == (0xE_0000, 0x1_0000, 3) }, "\(map)")
        #expect(plan.rsdpAddress == GuestAddress(0xE0000))
    }
}
