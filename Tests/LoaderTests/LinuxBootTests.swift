import Loader
import Memory
import Testing

@Suite struct LinuxBootTests {
    @Test func bzImageIsDetectedBeforeMultiboot() throws {
        var builder = BzImageBuilder()
        // A multiboot header in the first 8 KiB must not win over the bzImage header.
        builder.kernel.put(MultibootBuilder.header(flags: 0x2), at: 0x100)
        #expect(ImageLoader.detect(builder.image, flat: false) == .bzImage)
        let plan = try ImageLoader.load(builder.image, into: try testMemory(), options: LoadOptions())
        #expect(plan.format == .bzImage)
    }

    @Test func kernelIsLoadedAtOneMiBAndEnteredAtItsSixtyFourBitEntry() throws {
        let memory = try testMemory()
        let builder = BzImageBuilder()
        let plan = try ImageLoader.load(builder.image, into: memory, options: LoadOptions())

        #expect(try memory.read(at: GuestAddress(0x10_0000), count: builder.kernel.count) == builder.kernel)
        #expect(plan.format == .bzImage)
        #expect(plan.mode == .long)
        #expect(plan.instructionPointer == 0x10_0200)
        #expect(plan.registers.rsi == 0x7000)
        #expect(plan.registers.rflags == 0x2)  // interrupts off
        #expect(plan.registers.rsp == 0xA000)
        #expect([plan.registers.rax, plan.registers.rbx, plan.registers.rcx, plan.registers.rdx,
                 plan.registers.rdi, plan.registers.rbp] == [0, 0, 0, 0, 0, 0])
        #expect(plan.pageTableRoot == GuestAddress(0x1000))
        #expect(plan.zeroPage == GuestAddress(0x7000))
        #expect(plan.initrd == nil)
        #expect(plan.imageRanges == [GuestRange(start: GuestAddress(0x10_0000), size: UInt64(builder.kernel.count))])
        #expect(plan.structures.map(\.name) == ["GDT", "page tables", "zero page", "command line", "stack"])
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x1000)) == 0x2003)
    }

    @Test func linuxGDTHasBootCSAtSixteenAndBootDSAtTwentyFour() throws {
        let memory = try testMemory()
        // Dirty the GDT page: the old layout's fifth descriptor must not survive.
        try memory.write([UInt8](repeating: 0xEE, count: 0x40), at: GuestAddress(0x500))
        let plan = try ImageLoader.load(BzImageBuilder().image, into: memory, options: LoadOptions())

        #expect(plan.codeSegment.selector == 0x10)
        #expect(plan.codeSegment.long)
        #expect(!plan.codeSegment.db)
        #expect(plan.codeSegment.type == 0xB)
        #expect(plan.dataSegment.selector == 0x18)
        #expect(plan.dataSegment.type == 0x3)
        #expect(plan.codeSegment == BootLayout.linuxCode64)
        #expect(plan.dataSegment == BootLayout.linuxData)
        #expect(plan.gdt?.base == 0x500)
        #expect(plan.gdt?.limit == 31)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x500)) == 0)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x508)) == 0x00CF_9B00_0000_FFFF)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x510)) == 0x00AF_9B00_0000_FFFF)
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x518)) == 0x00CF_9300_0000_FFFF)
        #expect(try isZero(memory, at: 0x520, count: 0x20))
    }

    @Test func zeroPageCarriesTheHeaderAndTheLoaderFields() throws {
        let memory = try testMemory()
        // Dirty the zero page: everything the loader does not set must be zero.
        try memory.write([UInt8](repeating: 0xEE, count: 4096), at: GuestAddress(0x7000))
        let image = BzImageBuilder().image
        _ = try ImageLoader.load(image, into: memory, options: LoadOptions(commandLine: "console=ttyS0"))
        let page = try ZeroPageReader(memory)

        #expect(page.u16(0x1FE) == 0xAA55)
        #expect(page.u32(0x202) == 0x5372_6448)
        #expect(page.u16(0x206) == 0x020F)
        #expect(page.u8(0x1F1) == 4)
        #expect(page.u32(0x230) == 0x20_0000)
        #expect(page.u32(0x238) == 2047)
        #expect(page.u64(0x258) == 0x100_0000)
        #expect(page.u32(0x260) == 0x10_0000)
        #expect(page.u32(0x268) == 0x1234)  // the last header field is copied
        #expect(page.u8(0x210) == 0xFF)  // type_of_loader
        #expect(page.u8(0x211) == 0x01)  // loadflags: LOADED_HIGH
        #expect(page.u16(0x1FA) == 0xFFFF)  // vid_mode
        #expect(page.u32(0x228) == 0x8000)  // cmd_line_ptr
        #expect(page.u32(0x0C8) == 0)  // ext_cmd_line_ptr
        #expect(page.u32(0x218) == 0)  // ramdisk_image
        #expect(page.u32(0x21C) == 0)  // ramdisk_size
        #expect(page.u32(0x0C0) == 0)
        #expect(page.u32(0x0C4) == 0)
        #expect(page.u8(0x1E8) == 4)

        // Outside the header and the fields set, the page is zero: the boot sector code
        // before 0x1F1 and the setup code after the header end (0x26C) are not copied.
        var expected = [UInt8](repeating: 0, count: 4096)
        expected.put(Array(image[0x1F1..<0x26C]), at: 0x1F1)
        expected[0x210] = 0xFF
        expected.put(UInt16(0xFFFF), at: 0x1FA)
        expected.put(UInt32(0x8000), at: 0x228)
        expected[0x1E8] = 4
        expected.put(Array(page.page[0x2D0..<(0x2D0 + 4 * 20)]), at: 0x2D0)
        #expect(page.page == expected)
    }

    @Test func loaderFlagsAndSetupDataAreSanitised() throws {
        var builder = BzImageBuilder()
        builder.loadFlags = 0xE1  // LOADED_HIGH | QUIET | KEEP_SEGMENTS | CAN_USE_HEAP
        builder.setupData = 0xDEAD_BEEF
        let memory = try testMemory()
        _ = try ImageLoader.load(builder.image, into: memory, options: LoadOptions())
        let page = try ZeroPageReader(memory)
        #expect(page.u8(0x211) == 0x01)
        #expect(page.u64(0x250) == 0)
    }

    @Test func e820MatchesTheRAMWithTheHoleBelowFourGiB() throws {
        let memory = try testMemory(0xE000_0000)  // 3.5 GiB: 3 GiB low, 512 MiB from 4 GiB
        _ = try ImageLoader.load(BzImageBuilder().image, into: memory, options: LoadOptions())
        #expect(try ZeroPageReader(memory).e820 == [
            E820Entry(base: 0, length: 0x9_FC00, type: 1),
            E820Entry(base: 0x9_FC00, length: 0x400, type: 2),
            E820Entry(base: 0xF_0000, length: 0x1_0000, type: 2),
            E820Entry(base: 0x10_0000, length: 0xC000_0000 - 0x10_0000, type: 1),
            E820Entry(base: 0x1_0000_0000, length: 0x2000_0000, type: 1),
        ])
    }

    @Test func e820ForSixtyFourMiB() throws {
        let memory = try testMemory()
        _ = try ImageLoader.load(BzImageBuilder().image, into: memory, options: LoadOptions())
        #expect(try ZeroPageReader(memory).e820 == [
            E820Entry(base: 0, length: 0x9_FC00, type: 1),
            E820Entry(base: 0x9_FC00, length: 0x400, type: 2),
            E820Entry(base: 0xF_0000, length: 0x1_0000, type: 2),
            E820Entry(base: 0x10_0000, length: 0x3F0_0000, type: 1),
        ])
    }

    @Test func commandLineIsWrittenNULTerminated() throws {
        let memory = try testMemory()
        try memory.write([UInt8](repeating: 0xEE, count: 64), at: GuestAddress(0x8000))
        let line = "console=ttyS0 earlyprintk=serial"
        let options = LoadOptions(commandLine: line, imageName: "bzImage")
        _ = try ImageLoader.load(BzImageBuilder().image, into: memory, options: options)
        // Linux gets the command line alone, without the image name multiboot kernels get.
        #expect(try memory.read(at: GuestAddress(0x8000), count: line.utf8.count + 1) == Array(line.utf8) + [0])
        #expect(try isZero(memory, at: 0x8000 + UInt64(line.utf8.count), count: 64 - line.utf8.count))
    }

    @Test func commandLineLimitIsTheKernelsCmdlineSize() throws {
        var builder = BzImageBuilder()
        builder.commandLineSize = 16
        let memory = try testMemory()
        #expect(try loadError(builder.image, memory: memory,
                              options: LoadOptions(commandLine: String(repeating: "a", count: 17)))
            == .commandLineTooLong(length: 17, maximum: 16))
        #expect(try isZero(memory, at: 0x10_0000, count: 0x100))
        #expect(try isZero(memory, at: 0x7000, count: 0x1000))
        #expect(try loadError(builder.image, options: LoadOptions(commandLine: String(repeating: "a", count: 16)))
            == nil)
    }

    @Test func commandLineLimitIsAtMostTheCommandLinePage() throws {
        var builder = BzImageBuilder()
        builder.commandLineSize = 0x10000
        #expect(try loadError(builder.image, options: LoadOptions(commandLine: String(repeating: "a", count: 4096)))
            == .commandLineTooLong(length: 4096, maximum: 4095))
        #expect(try loadError(builder.image, options: LoadOptions(commandLine: String(repeating: "a", count: 4095)))
            == nil)
    }

    @Test func setupSectorsZeroMeansFour() throws {
        var builder = BzImageBuilder()
        builder.setupSectors = 0
        let image = builder.image
        #expect(image.count == 5 * 512 + builder.kernel.count)
        let memory = try testMemory()
        _ = try ImageLoader.load(image, into: memory, options: LoadOptions())
        #expect(try memory.read(at: GuestAddress(0x10_0000), count: builder.kernel.count) == builder.kernel)
        let header = try LinuxSetupHeader(parsing: image)
        #expect(header.setupSectors == 4)
        #expect(header.kernelFileRange == 0xA00..<image.count)
    }

    @Test func moreSetupSectorsMoveTheKernel() throws {
        var builder = BzImageBuilder()
        builder.setupSectors = 7
        let memory = try testMemory()
        _ = try ImageLoader.load(builder.image, into: memory, options: LoadOptions())
        #expect(try memory.read(at: GuestAddress(0x10_0000), count: builder.kernel.count) == builder.kernel)
        #expect(try LinuxSetupHeader(parsing: builder.image).kernelFileRange.lowerBound == 0x1000)
    }

    @Test func headerFieldsAreParsed() throws {
        let header = try LinuxSetupHeader(parsing: BzImageBuilder().image)
        #expect(header.version == 0x020F)
        #expect(header.loadFlags == 0x01)
        #expect(header.extendedLoadFlags == 0x0003)
        #expect(header.relocatable)
        #expect(header.kernelAlignment == 0x20_0000)
        #expect(header.initrdAddressMax == 0x7FFF_FFFF)
        #expect(header.commandLineSize == 2047)
        #expect(header.preferredAddress == 0x100_0000)
        #expect(header.initSize == 0x10_0000)
        #expect(header.code32Start == 0x10_0000)
        #expect(header.kernelSize == 0x3000)
        #expect(header.bytes.count == 0x26C - 0x1F1)
        #expect(header.kernelVersion == BzImageBuilder.versionString)
    }

    @Test func decompressionAreaFollowsHead64() throws {
        var builder = BzImageBuilder()
        let load = GuestAddress(0x10_0000)
        // Relocatable: the load address rounded up to kernel_alignment, not below pref_address.
        #expect(try LinuxSetupHeader(parsing: builder.image).decompressionRange(loadedAt: load)
            == GuestRange(start: GuestAddress(0x100_0000), size: 0x10_0000))
        builder.preferredAddress = 0
        builder.kernelAlignment = 0x40_0000
        #expect(try LinuxSetupHeader(parsing: builder.image).decompressionRange(loadedAt: load)
            == GuestRange(start: GuestAddress(0x40_0000), size: 0x10_0000))
        // Not relocatable: pref_address.
        builder.relocatable = 0
        builder.preferredAddress = 0x200_0000
        #expect(try LinuxSetupHeader(parsing: builder.image).decompressionRange(loadedAt: load)
            == GuestRange(start: GuestAddress(0x200_0000), size: 0x10_0000))
        #expect(try loadError(builder.image) == nil)
    }
}
