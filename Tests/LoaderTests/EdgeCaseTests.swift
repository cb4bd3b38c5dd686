import Loader
import Memory
import Testing

@Suite struct EdgeCaseTests {
    @Test func structuresOutsideRAMAreReported() throws {
        // No RAM below 1 MiB: the GDT has nowhere to go.
        let memory = try GuestMemory(ranges: [GuestRange(start: GuestAddress(0x10_0000), size: 0x20_0000)],
                                     hugePages: false)
        let image = ELFBuilder.elf32(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: pattern(16))])
        #expect(try loadError(image, memory: memory) == .outsideMemory(what: "the VMM's GDT", range: BootLayout.gdt))
        #expect(try memory.read(at: GuestAddress(0x10_0000), count: 16).allSatisfy { $0 == 0 })
        // A protected-mode flat image needs the GDT too.
        let flat = LoadOptions(flat: FlatImageOptions(address: GuestAddress(0x10_0000), mode: .protected))
        #expect(try loadError(pattern(16), memory: memory, options: flat)?.isOutsideMemory == true)
    }

    @Test func elf64EntryAboveFourGiBIsRejected() throws {
        let memory = try testMemory(0xE000_0000)
        let image = ELFBuilder.elf64(entry: 0x1_0000_0000, segments: [
            TestSegment(at: 0x1_0000_0000, data: pattern(16)),
        ])
        #expect(try loadError(image, memory: memory)?.field == "e_entry")
    }

    @Test func elf64SegmentAboveFourGiBLoads() throws {
        let memory = try testMemory(0xE000_0000)
        let image = ELFBuilder.elf64(entry: 0x10_0000, segments: [
            TestSegment(at: 0x10_0000, data: pattern(16)),
            TestSegment(at: 0x1_0000_0000, data: pattern(64, seed: 5)),
        ])
        _ = try ImageLoader.load(image, into: memory, options: LoadOptions())
        #expect(try memory.read(at: GuestAddress(0x1_0000_0000), count: 64) == pattern(64, seed: 5))
    }

    @Test func higherHalfMultibootELF() throws {
        var text = pattern(0x100)
        text.put(MultibootBuilder.header(flags: 0x2), at: 0)
        let image = ELFBuilder.elf32(entry: 0xC010_0020, segments: [
            TestSegment(at: 0x10_0000, virtual: 0xC010_0000, data: text),
        ])
        let memory = try testMemory()
        let plan = try ImageLoader.load(image, into: memory, options: LoadOptions())
        #expect(plan.instructionPointer == 0x10_0020)
        #expect(try memory.read(at: GuestAddress(0x10_0000), count: 0x100) == text)
    }

    @Test func multibootELFWithBadProgramHeadersReportsTheELFField() throws {
        var text = pattern(0x100)
        text.put(MultibootBuilder.header(flags: 0x2), at: 0)
        let image = ELFBuilder.elf32(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: text)],
                                    machine: 62)
        #expect(try loadError(image) == .invalidField(format: .elf32, field: "e_machine", value: 62,
                                                      reason: "a 32-bit image must be EM_386 (3)"))
    }

    @Test func elf64MultibootWithAddressFieldsLoadsByThem() throws {
        // Bit 16 takes precedence over the ELF headers, whatever the ELF class.
        var text = pattern(0x200)
        let segmentOffset = 0x200  // ELFBuilder puts ELF64 segment data here
        let fields = MultibootAddresses(headerAddress: 0x20_0000 + UInt32(segmentOffset), loadAddress: 0x20_0000,
                                        entryAddress: 0x20_0000 + UInt32(segmentOffset) + 0x40)
        text.put(MultibootBuilder.header(flags: 0x1_0002, addresses: fields), at: 0)
        let image = ELFBuilder.elf64(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: text)])
        let memory = try testMemory()
        let plan = try ImageLoader.load(image, into: memory, options: LoadOptions())
        #expect(plan.format == .multiboot)
        #expect(plan.mode == .protected)
        #expect(plan.imageRanges == [GuestRange(start: GuestAddress(0x20_0000), size: UInt64(image.count))])
        #expect(try memory.read(at: GuestAddress(0x20_0000), count: image.count) == image)
    }

    @Test func smallRAMMemoryMap() throws {
        let memory = try testMemory(2 << 20)
        #expect(MemoryMap.pc(for: memory) == [
            MemoryMapEntry(base: GuestAddress(0), length: 0x9_FC00, kind: .ram),
            MemoryMapEntry(base: GuestAddress(0x9_FC00), length: 0x400, kind: .reserved),
            MemoryMapEntry(base: GuestAddress(0xF_0000), length: 0x1_0000, kind: .reserved),
            MemoryMapEntry(base: GuestAddress(0x10_0000), length: 0x10_0000, kind: .ram),
        ])
        #expect(MemoryMap.lowerMemoryKiB(memory) == 639)
        #expect(MemoryMap.upperMemoryKiB(memory) == 1024)
    }

    @Test func rangeDescriptionsReachTwoToThe64() {
        let top = GuestRange(start: GuestAddress(UInt64.max - 0xF), size: 0x10)
        #expect(top.description == "[0xfffffffffffffff0, 0x10000000000000000)")
    }
}
