import Loader
import Memory
import Testing

@Suite struct VmlinuxTests {
    @Test func elfWithALinuxNoteIsAVmlinux() {
        #expect(ImageLoader.detect(VmlinuxBuilder.image(), flat: false) == .linuxELF)
        // The Linux note may follow others in the same segment.
        let notes = NoteBuilder.note(owner: "Xen", descriptor: pattern(6)) + NoteBuilder.note(owner: "GNU")
            + NoteBuilder.note(owner: "Linux", type: 6)
        #expect(ImageLoader.detect(VmlinuxBuilder.image(notes: notes), flat: false) == .linuxELF)
    }

    @Test func otherNotesKeepThePlainELFPath() {
        let notes = NoteBuilder.note(owner: "Xen") + NoteBuilder.note(owner: "GNU") + NoteBuilder.note(owner: "Linuxx")
            + NoteBuilder.note(owner: "Linu")
        #expect(ImageLoader.detect(VmlinuxBuilder.image(notes: notes), flat: false) == .elf64)
        #expect(ImageLoader.detect(VmlinuxBuilder.image(notes: []), flat: false) == .elf64)
    }

    @Test func malformedNotesKeepThePlainELFPath() {
        // A name size running past the segment ends the scan before the Linux note.
        var bad = NoteBuilder.note(owner: "Xen")
        bad.put(UInt32(0x1000), at: 0)
        #expect(ImageLoader.detect(VmlinuxBuilder.image(notes: bad + NoteBuilder.note(owner: "Linux")), flat: false)
            == .elf64)
        // A Linux note in a segment that is not PT_NOTE does not count.
        let image = ELFBuilder.elf64(entry: 0x100_0000, segments: [
            TestSegment(at: 0x100_0000, data: NoteBuilder.note(owner: "Linux")),
        ])
        #expect(ImageLoader.detect(image, flat: false) == .elf64)
    }

    @Test func elf32WithALinuxNoteStaysELF32() {
        let image = ELFBuilder.elf32(entry: 0x10_0000, segments: [
            TestSegment(at: 0x10_0000, data: pattern(0x40)),
            NoteBuilder.segment(NoteBuilder.note(owner: "Linux")),
        ])
        #expect(ImageLoader.detect(image, flat: false) == .elf32)
    }

    @Test func vmlinuxSegmentsLoadAtPhysicalAddressesAndEnterLongMode() throws {
        let memory = try testMemory()
        try memory.write([UInt8](repeating: 0xEE, count: 0x1000), at: GuestAddress(0x140_0800))
        let plan = try ImageLoader.load(VmlinuxBuilder.image(), into: memory, options: LoadOptions())

        #expect(try memory.read(at: GuestAddress(0x100_0000), count: VmlinuxBuilder.text.count) == VmlinuxBuilder.text)
        #expect(try memory.read(at: GuestAddress(0x120_0000), count: VmlinuxBuilder.percpu.count)
            == VmlinuxBuilder.percpu)
        #expect(try memory.read(at: GuestAddress(0x140_0000), count: VmlinuxBuilder.data.count) == VmlinuxBuilder.data)
        #expect(try isZero(memory, at: 0x140_0800, count: 0x1000))  // bss
        #expect(plan.format == .linuxELF)
        #expect(plan.mode == .long)
        #expect(plan.instructionPointer == 0x100_0000)
        #expect(plan.registers.rsi == 0x7000)
        #expect(plan.registers.rflags == 0x2)
        #expect(plan.codeSegment == BootLayout.linuxCode64)
        #expect(plan.dataSegment == BootLayout.linuxData)
        #expect(plan.gdt?.limit == 31)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x510)) == 0x00AF_9B00_0000_FFFF)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x518)) == 0x00CF_9300_0000_FFFF)
        #expect(plan.pageTableRoot == GuestAddress(0x1000))
        #expect(plan.zeroPage == GuestAddress(0x7000))
        #expect(plan.imageRanges == [
            GuestRange(start: GuestAddress(0x100_0000), size: 0x2000),
            GuestRange(start: GuestAddress(0x120_0000), size: 0x400),
            GuestRange(start: GuestAddress(0x140_0000), size: 0x10_0000),
        ])
        #expect(plan.structures.map(\.name) == ["GDT", "page tables", "zero page", "command line", "stack"])
    }

    @Test func vmlinuxGetsASynthesizedSetupHeader() throws {
        let memory = try testMemory()
        try memory.write([UInt8](repeating: 0xEE, count: 4096), at: GuestAddress(0x7000))
        _ = try ImageLoader.load(VmlinuxBuilder.image(), into: memory, options: LoadOptions(commandLine: "quiet"))
        let page = try ZeroPageReader(memory)
        #expect(page.u16(0x1FE) == 0xAA55)  // boot_flag
        #expect(page.u8(0x200) == 0xEB)
        #expect(page.u8(0x201) == 0x6A)  // the header ends at 0x26C
        #expect(page.u32(0x202) == 0x5372_6448)  // "HdrS"
        #expect(page.u16(0x206) == 0x020F)  // 2.15
        #expect(page.u8(0x210) == 0xFF)  // type_of_loader
        #expect(page.u8(0x211) == 0x01)  // LOADED_HIGH
        #expect(page.u32(0x22C) == 0x7FFF_FFFF)  // initrd_addr_max
        #expect(page.u32(0x230) == 0x100_0000)  // kernel_alignment
        #expect(page.u32(0x238) == 2047)  // cmdline_size
        #expect(page.u16(0x1FA) == 0xFFFF)
        #expect(page.u32(0x228) == 0x8000)
        #expect(page.u32(0x218) == 0)
        #expect(page.u8(0x1F1) == 0)  // no setup sectors
        #expect(page.e820 == [
            E820Entry(base: 0, length: 0x9_FC00, type: 1),
            E820Entry(base: 0x9_FC00, length: 0x400, type: 2),
            E820Entry(base: 0xF_0000, length: 0x1_0000, type: 2),
            E820Entry(base: 0x10_0000, length: 0x3F0_0000, type: 1),
        ])
        #expect(try memory.read(at: GuestAddress(0x8000), count: 6) == Array("quiet\0".utf8))
        // Nothing else: the fields above and the E820 table are the whole page.
        var others = page.page
        others.replaceSubrange(0x2D0..<(0x2D0 + 4 * 20), with: [UInt8](repeating: 0, count: 80))
        for (offset, width) in [(0x1FE, 2), (0x200, 2), (0x202, 4), (0x206, 2), (0x210, 2), (0x22C, 4), (0x230, 4),
                                (0x238, 4), (0x1FA, 2), (0x228, 4), (0x1E8, 1)] {
            others.replaceSubrange(offset..<(offset + width), with: [UInt8](repeating: 0, count: width))
        }
        #expect(others.allSatisfy { $0 == 0 })
    }

    @Test func vmlinuxCommandLineLimitIs2047() throws {
        #expect(try loadError(VmlinuxBuilder.image(), options: LoadOptions(commandLine: String(repeating: "a", count: 2048)))
            == .commandLineTooLong(length: 2048, maximum: 2047))
        #expect(try loadError(VmlinuxBuilder.image(), options: LoadOptions(commandLine: String(repeating: "a", count: 2047)))
            == nil)
    }

    @Test func vmlinuxInitrdGoesAboveTheKernel() throws {
        let memory = try testMemory()
        let initrd = pattern(0x5000, seed: 31)
        let plan = try ImageLoader.load(VmlinuxBuilder.image(), into: memory, options: LoadOptions(initrd: initrd))
        #expect(plan.initrd == GuestRange(start: GuestAddress(0x3FF_B000), size: 0x5000))
        #expect(try memory.read(at: GuestAddress(0x3FF_B000), count: initrd.count) == initrd)
        let page = try ZeroPageReader(memory)
        #expect(page.u32(0x218) == 0x3FF_B000)
        #expect(page.u32(0x21C) == 0x5000)
    }

    @Test func vmlinuxInitrdGoesBelowASegmentAtTheTop() throws {
        let image = ELFBuilder.elf64(entry: 0x100_0000, segments: [
            TestSegment(at: 0x100_0000, data: pattern(0x100)),
            TestSegment(at: 0x3F0_0000, data: pattern(0x100), memorySize: 0x10_0000),
            NoteBuilder.segment(NoteBuilder.note(owner: "Linux")),
        ])
        let plan = try ImageLoader.load(image, into: try testMemory(), options: LoadOptions(initrd: pattern(0x1800)))
        #expect(plan.initrd == GuestRange(start: GuestAddress(0x3EF_E000), size: 0x1800))
    }

    @Test func vmlinuxEntryAboveFourGiBIsRefused() throws {
        let image = ELFBuilder.elf64(entry: 0x1_0000_0000, segments: [
            TestSegment(at: 0x1_0000_0000, data: pattern(16)),
            NoteBuilder.segment(NoteBuilder.note(owner: "Linux")),
        ])
        let error = try loadError(image, memory: try testMemory(0xE000_0000))
        #expect(error == .invalidField(format: .linuxELF, field: "e_entry", value: 0x1_0000_0000,
                                       reason: "above 4 GiB, outside the identity map the VMM builds"))
    }

    @Test func plainELF64KeepsItsOldBoot() throws {
        let memory = try testMemory()
        let image = VmlinuxBuilder.image(notes: NoteBuilder.note(owner: "GNU"))
        let plan = try ImageLoader.load(image, into: memory, options: LoadOptions(commandLine: "ignored"))
        #expect(plan.format == .elf64)
        #expect(plan.codeSegment == BootLayout.code64)
        #expect(plan.dataSegment == BootLayout.data64)
        #expect(plan.gdt?.limit == 39)
        #expect(plan.registers.rsi == 0)
        #expect(plan.zeroPage == nil)
        #expect(plan.structures.map(\.name) == ["GDT", "page tables", "stack"])
        #expect(try isZero(memory, at: 0x7000, count: 0x2000))
    }
}
