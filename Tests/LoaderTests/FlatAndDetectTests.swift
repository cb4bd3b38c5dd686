import Loader
import Memory
import Testing

@Suite struct FlatLoadTests {
    static func flat(_ address: UInt64, _ mode: CPUMode) -> LoadOptions {
        LoadOptions(flat: FlatImageOptions(address: GuestAddress(address), mode: mode))
    }

    @Test func bootSectorInRealMode() throws {
        let memory = try testMemory()
        let image = pattern(512)
        let plan = try ImageLoader.load(image, into: memory, options: Self.flat(0x7C00, .real))
        #expect(try memory.read(at: GuestAddress(0x7C00), count: 512) == image)
        #expect(plan.format == .flat)
        #expect(plan.mode == .real)
        #expect(plan.codeSegment == .real(selector: 0, code: true))
        #expect(plan.dataSegment == .real(selector: 0, code: false))
        #expect(plan.instructionPointer == 0x7C00)
        #expect(plan.registers.rsp == 0x7C00)
        #expect(plan.gdt == nil)
        #expect(plan.pageTableRoot == nil)
        #expect(plan.structures.isEmpty)
        #expect(plan.imageRanges == [GuestRange(start: GuestAddress(0x7C00), size: 512)])
        // Real mode writes no GDT.
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x508)) == 0)
    }

    @Test(arguments: [(UInt64(0), UInt16(0), UInt64(0)), (0x500, 0, 0x500), (0xFFFF, 0, 0xFFFF),
                      (0x1_0000, 1, 0xFFF0), (0x2_0000, 0x1001, 0xFFF0), (0x9_F005, 0x8F01, 0xFFF5)])
    func realModeSelectorKeepsIPInSixteenBits(address: UInt64, selector: UInt16, offset: UInt64) throws {
        let plan = try ImageLoader.load(pattern(16), into: try testMemory(), options: Self.flat(address, .real))
        #expect(plan.codeSegment.selector == selector)
        #expect(plan.codeSegment.base == UInt64(selector) * 16)
        #expect(plan.dataSegment.selector == selector)
        #expect(plan.instructionPointer == offset)
        #expect(plan.registers.rsp == offset)
        #expect(plan.codeSegment.base + plan.instructionPointer == address)
    }

    @Test func realModeImageMustEndBelowOneMiB() throws {
        #expect(try loadError(pattern(0x10), options: Self.flat(0xF_FFF0, .real)) == nil)
        let error = try loadError(pattern(0x11), options: Self.flat(0xF_FFF0, .real))
        guard case .unsupportedMode(let mode, _) = error else {
            Issue.record("expected unsupportedMode, got \(String(describing: error))")
            return
        }
        #expect(mode == .real)
    }

    @Test func protectedMode() throws {
        let memory = try testMemory()
        let plan = try ImageLoader.load(pattern(0x300), into: memory, options: Self.flat(0x10_0000, .protected))
        #expect(try memory.read(at: GuestAddress(0x10_0000), count: 0x300) == pattern(0x300))
        #expect(plan.mode == .protected)
        #expect(plan.instructionPointer == 0x10_0000)
        #expect(plan.codeSegment == BootLayout.flatCode32)
        #expect(plan.registers.rsp == 0xA000)
        #expect(plan.gdt?.base == 0x500)
        #expect(plan.structures.map(\.name) == ["GDT", "stack"])
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x508)) == BootLayout.flatCode32.descriptor)
    }

    @Test func longMode() throws {
        let memory = try testMemory()
        let plan = try ImageLoader.load(pattern(0x300), into: memory, options: Self.flat(0x10_0000, .long))
        #expect(plan.mode == .long)
        #expect(plan.codeSegment == BootLayout.code64)
        #expect(plan.pageTableRoot == GuestAddress(0x1000))
        #expect(plan.registers.rsp == 0xA000)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x1000)) == 0x2003)
    }

    @Test func protectedImageOverlappingStack() throws {
        let error = try loadError(pattern(0x200), options: Self.flat(0x9F00, .protected))
        #expect(error?.overlappedStructure == "stack")
    }

    @Test func aboveFourGiB() throws {
        let memory = try testMemory(0xE000_0000)
        let error = try loadError(pattern(16), memory: memory, options: Self.flat(0x1_0000_0000, .protected))
        guard case .unsupportedMode(.protected, _) = error else {
            Issue.record("expected unsupportedMode(.protected), got \(String(describing: error))")
            return
        }
    }

    @Test func beyondRAM() throws {
        let error = try loadError(pattern(32), options: Self.flat((64 << 20) - 16, .protected))
        #expect(error == .outsideMemory(what: "flat image",
                                        range: GuestRange(start: GuestAddress((64 << 20) - 16), size: 32)))
    }

    @Test func flatWinsOverRecognisedFormats() throws {
        let elf = ELFBuilder.elf32(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: pattern(32))])
        let plan = try ImageLoader.load(elf, into: try testMemory(), options: Self.flat(0x20_0000, .protected))
        #expect(plan.format == .flat)
        #expect(plan.imageRanges == [GuestRange(start: GuestAddress(0x20_0000), size: UInt64(elf.count))])
    }
}

@Suite struct DetectTests {
    @Test func formats() {
        let elf32 = ELFBuilder.elf32(entry: 0, segments: [])
        let elf64 = ELFBuilder.elf64(entry: 0, segments: [])
        #expect(ImageLoader.detect(elf32, flat: false) == .elf32)
        #expect(ImageLoader.detect(elf64, flat: false) == .elf64)
        #expect(ImageLoader.detect(elf64, flat: true) == .flat)
        #expect(ImageLoader.detect(MultibootBuilder.aout(), flat: false) == .multiboot)
        #expect(ImageLoader.detect([0xEB, 0xFE], flat: false) == nil)
        #expect(ImageLoader.detect([], flat: false) == nil)
    }

    @Test func multibootHeaderMustBeAlignedAndInFirst8KiB() {
        var unaligned = pattern(0x100)
        unaligned.put(MultibootBuilder.header(flags: 0x1_0003), at: 0x22)
        #expect(ImageLoader.detect(unaligned, flat: false) == nil)
        var late = pattern(0x3000)
        late.put(MultibootBuilder.header(flags: 0x1_0003), at: 0x2000)
        #expect(ImageLoader.detect(late, flat: false) == nil)
        var last = pattern(0x3000)
        last.put(MultibootBuilder.header(flags: 0x1_0003), at: 0x2000 - 12)
        #expect(ImageLoader.detect(last, flat: false) == .multiboot)
    }

    @Test func unknownFormatWithoutFlat() throws {
        let image: [UInt8] = [0xEB, 0xFE, 0x90, 0x90]
        #expect(try loadError(image) == .unknownFormat(firstBytes: image))
    }

    @Test func errorsDescribeTheProblem() {
        let error = LoaderError.overlapsBootStructure(
            what: "ELF segment 0", range: GuestRange(start: GuestAddress(0x400), size: 0x200),
            structure: "GDT", structureRange: BootLayout.gdt)
        #expect(error.description == "ELF segment 0 at [0x400, 0x600) overlaps the VMM's GDT at [0x500, 0x540)")
    }
}
