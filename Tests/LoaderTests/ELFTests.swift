import Loader
import Memory
import Testing

@Suite struct ELFLoadTests {
    @Test func elf32SegmentsLandAtPhysicalAddressesWithBSSZeroed() throws {
        let memory = try testMemory()
        let text = pattern(0x40)
        let data = pattern(0x20, seed: 9)
        let image = ELFBuilder.elf32(entry: 0x10_0010, segments: [
            TestSegment(at: 0x10_0000, data: text),
            TestSegment(at: 0x20_0000, data: data, memorySize: 0x1000),
        ])
        // Dirty the bss first: the loader must zero it, not rely on fresh memory.
        try memory.write([UInt8](repeating: 0xEE, count: 0x1000), at: GuestAddress(0x20_0000))
        let plan = try ImageLoader.load(image, into: memory, options: LoadOptions())

        #expect(try memory.read(at: GuestAddress(0x10_0000), count: 0x40) == text)
        #expect(try memory.read(at: GuestAddress(0x20_0000), count: 0x20) == data)
        #expect(try memory.read(at: GuestAddress(0x20_0020), count: 0x1000 - 0x20).allSatisfy { $0 == 0 })
        #expect(plan.format == .elf32)
        #expect(plan.mode == .protected)
        #expect(plan.instructionPointer == 0x10_0010)
        #expect(plan.codeSegment == BootLayout.flatCode32)
        #expect(plan.dataSegment == BootLayout.flatData32)
        #expect(plan.gdt?.base == 0x500)
        #expect(plan.gdt?.limit == 39)
        #expect(plan.pageTableRoot == nil)
        #expect(plan.registers.rsp == 0xA000)
        #expect(plan.imageRanges == [GuestRange(start: GuestAddress(0x10_0000), size: 0x40),
                                     GuestRange(start: GuestAddress(0x20_0000), size: 0x1000)])
        #expect(plan.structures.map(\.name) == ["GDT", "stack"])
    }

    @Test func gdtDescriptorsAreWrittenAtTheirSelectors() throws {
        let memory = try testMemory()
        let image = ELFBuilder.elf32(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: pattern(16))])
        _ = try ImageLoader.load(image, into: memory, options: LoadOptions())
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x500)) == 0)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x508)) == 0x00CF_9B00_0000_FFFF)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x510)) == 0x00CF_9300_0000_FFFF)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x518)) == 0x00AF_9B00_0000_FFFF)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x520)) == BootLayout.data64.descriptor)
    }

    @Test func elf64EntersLongModeWithIdentityPageTables() throws {
        let memory = try testMemory()
        let image = ELFBuilder.elf64(entry: 0x20_0008, segments: [TestSegment(at: 0x20_0000, data: pattern(0x80))])
        let plan = try ImageLoader.load(image, into: memory, options: LoadOptions())

        #expect(try memory.read(at: GuestAddress(0x20_0000), count: 0x80) == pattern(0x80))
        #expect(plan.format == .elf64)
        #expect(plan.mode == .long)
        #expect(plan.instructionPointer == 0x20_0008)
        #expect(plan.codeSegment == BootLayout.code64)
        #expect(plan.dataSegment == BootLayout.data64)
        #expect(plan.pageTableRoot == BootLayout.pml4)
        #expect(plan.registers.rsp == 0xA000)
        #expect(plan.structures.map(\.name) == ["GDT", "page tables", "stack"])

        #expect(try memory.load(UInt64.self, at: GuestAddress(0x1000)) == 0x2003)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x1008)) == 0)
        for directory in 0..<4 {
            let entry = try memory.load(UInt64.self, at: GuestAddress(0x2000 + UInt64(directory) * 8))
            #expect(entry == 0x3003 + UInt64(directory) * 0x1000)
        }
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x2020)) == 0)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x3000)) == 0x83)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x3008)) == 0x20_0083)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x4000)) == 0x4000_0083)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x6FF8)) == 0xFFE0_0083)
    }

    @Test func higherHalfEntryIsTranslatedToItsLoadAddress() throws {
        let image = ELFBuilder.elf32(entry: 0xC010_0010, segments: [
            TestSegment(at: 0x10_0000, virtual: 0xC010_0000, data: pattern(0x40)),
        ])
        let plan = try ImageLoader.load(image, into: try testMemory(), options: LoadOptions())
        #expect(plan.instructionPointer == 0x10_0010)
    }

    @Test func nonLoadSegmentsAreSkipped() throws {
        let image = ELFBuilder.elf32(entry: 0x10_0000, segments: [
            TestSegment(at: 0x500, data: pattern(0x40), type: 4),  // PT_NOTE over the GDT: ignored
            TestSegment(at: 0x10_0000, data: pattern(0x40)),
        ])
        let plan = try ImageLoader.load(image, into: try testMemory(), options: LoadOptions())
        #expect(plan.imageRanges == [GuestRange(start: GuestAddress(0x10_0000), size: 0x40)])
    }
}

@Suite struct ELFErrorTests {
    static let valid32 = ELFBuilder.elf32(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: pattern(32))])
    static let valid64 = ELFBuilder.elf64(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: pattern(32))])

    @Test func emptyFile() throws {
        #expect(try loadError([]) == .emptyImage)
    }

    @Test func truncatedHeader() throws {
        let error = try loadError(Array(Self.valid32.prefix(40)))
        #expect(error == .truncated(what: "ELF header", offset: 50, needed: 2, fileSize: 40))
    }

    @Test func programHeadersBeyondFile() throws {
        var image = Self.valid32
        image.put(UInt32(0x10_0000), at: ELFBuilder.Field32.phoff)
        let error = try loadError(image)
        #expect(error == .truncated(what: "program header table", offset: 0x10_0000, needed: 32,
                                    fileSize: UInt64(image.count)))
    }

    @Test func programHeaderTableSizeOverflows() throws {
        var image = Self.valid64
        image.put(UInt64.max - 16, at: ELFBuilder.Field64.phoff)
        image.put(UInt16.max, at: ELFBuilder.Field64.phnum)
        #expect(try loadError(image)?.isTruncated == true)
    }

    @Test func segmentFileRangeBeyondFile() throws {
        var image = Self.valid32
        image.put(UInt32(0xFFFF_FFF0), at: 52 + 4)  // p_offset: offset + filesz passes the file end
        let error = try loadError(image)
        #expect(error == .truncated(what: "ELF segment 0", offset: 0xFFFF_FFF0, needed: 32,
                                    fileSize: UInt64(image.count)))
    }

    @Test func fileSizeLargerThanMemorySize() throws {
        let image = ELFBuilder.elf32(entry: 0x10_0000, segments: [
            TestSegment(at: 0x10_0000, data: pattern(32), memorySize: 16),
        ])
        #expect(try loadError(image)?.field == "p_filesz of segment 0")
    }

    @Test func segmentBeyondRAM() throws {
        let image = ELFBuilder.elf32(entry: 0x400_0000, segments: [TestSegment(at: 0x3FF_FFF0, data: pattern(32))])
        let error = try loadError(image)
        #expect(error == .outsideMemory(what: "ELF segment 0",
                                        range: GuestRange(start: GuestAddress(0x3FF_FFF0), size: 32)))
    }

    @Test func segmentAddressPlusSizeOverflows() throws {
        let image = ELFBuilder.elf64(entry: 0x10_0000, segments: [
            TestSegment(at: 0x10_0000, data: pattern(32)),
            TestSegment(at: UInt64.max - 8, data: [], memorySize: 0x100),
        ])
        #expect(try loadError(image)?.isOutsideMemory == true)
    }

    @Test func segmentOverlappingGDT() throws {
        let image = ELFBuilder.elf32(entry: 0x400, segments: [TestSegment(at: 0x400, data: pattern(0x200))])
        let error = try loadError(image)
        #expect(error == .overlapsBootStructure(what: "ELF segment 0",
                                                range: GuestRange(start: GuestAddress(0x400), size: 0x200),
                                                structure: "GDT", structureRange: BootLayout.gdt))
    }

    @Test func bssOverlappingStack() throws {
        let image = ELFBuilder.elf32(entry: 0x8000, segments: [
            TestSegment(at: 0x8000, data: pattern(16), memorySize: 0x1800),
        ])
        #expect(try loadError(image)?.overlappedStructure == "stack")
    }

    @Test func elf64SegmentOverlappingPageTables() throws {
        let image = ELFBuilder.elf64(entry: 0x2000, segments: [TestSegment(at: 0x2000, data: pattern(16))])
        #expect(try loadError(image)?.overlappedStructure == "page tables")
    }

    @Test func elf32MayUseThePageTableArea() throws {
        // Protected mode builds no page tables, so that memory is free for the image.
        let image = ELFBuilder.elf32(entry: 0x2000, segments: [TestSegment(at: 0x2000, data: pattern(16))])
        #expect(try loadError(image) == nil)
    }

    @Test func wrongMachine() throws {
        let arm = ELFBuilder.elf32(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: pattern(32))],
                                   machine: 40)
        #expect(try loadError(arm)?.field == "e_machine")
        let x86In64 = ELFBuilder.elf64(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: pattern(32))],
                                       machine: 3)
        #expect(try loadError(x86In64)?.field == "e_machine")
    }

    @Test func bigEndian() throws {
        var image = Self.valid32
        image[5] = 2
        #expect(try loadError(image) == .invalidField(format: .elf32, field: "EI_DATA", value: 2,
                                                      reason: "only little-endian (1) images run on x86"))
    }

    @Test func badClassAndVersion() throws {
        var image = Self.valid32
        image[4] = 3
        #expect(try loadError(image)?.field == "EI_CLASS")
        image = Self.valid32
        image.put(UInt32(2), at: 20)
        #expect(try loadError(image)?.field == "e_version")
    }

    @Test func wrongProgramHeaderEntrySize() throws {
        var image = Self.valid64
        image.put(UInt16(32), at: ELFBuilder.Field64.phentsize)
        #expect(try loadError(image)?.field == "e_phentsize")
    }

    @Test func noLoadableSegments() throws {
        let none = ELFBuilder.elf64(entry: 0x10_0000, segments: [])
        #expect(try loadError(none)?.field == "e_phnum")
        let onlyNotes = ELFBuilder.elf32(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: [1], type: 4)])
        #expect(try loadError(onlyNotes)?.field == "e_phnum")
    }

    @Test func entryOutsideSegments() throws {
        let image = ELFBuilder.elf64(entry: 0x30_0000, segments: [TestSegment(at: 0x10_0000, data: pattern(32))])
        #expect(try loadError(image)?.field == "e_entry")
        // An entry in the bss would run zeroes.
        let inBSS = ELFBuilder.elf32(entry: 0x10_0040, segments: [
            TestSegment(at: 0x10_0000, data: pattern(32), memorySize: 0x1000),
        ])
        #expect(try loadError(inBSS)?.field == "e_entry")
    }

    @Test func failedLoadWritesNothing() throws {
        let memory = try testMemory()
        // The first segment is fine; the second is outside RAM. Nothing may be written.
        let image = ELFBuilder.elf64(entry: 0x10_0000, segments: [
            TestSegment(at: 0x10_0000, data: pattern(0x100)),
            TestSegment(at: 0x1000_0000, data: pattern(0x100)),
        ])
        #expect(try loadError(image, memory: memory)?.isOutsideMemory == true)
        let low = try memory.read(at: GuestAddress(0), count: 2 << 20)
        #expect(low.allSatisfy { $0 == 0 })
    }
}
