import Loader
import Memory
import Testing

@Suite struct InitrdTests {
    static let ramLimit = "the end of RAM below 4 GiB"

    @Test func initrdGoesPageAlignedAtTheTopOfRAM() throws {
        let memory = try testMemory()
        let initrd = pattern(0x2345, seed: 17)
        let plan = try ImageLoader.load(BzImageBuilder().image, into: memory, options: LoadOptions(initrd: initrd))
        let expected = GuestRange(start: GuestAddress(0x3FF_D000), size: 0x2345)
        #expect(plan.initrd == expected)
        #expect(try memory.read(at: expected.start, count: initrd.count) == initrd)
        let page = try ZeroPageReader(memory)
        #expect(page.u32(0x218) == 0x3FF_D000)  // ramdisk_image
        #expect(page.u32(0x21C) == 0x2345)  // ramdisk_size
        #expect(page.u32(0x0C0) == 0)  // ext_ramdisk_image
        #expect(page.u32(0x0C4) == 0)  // ext_ramdisk_size
        // The initrd is not part of the image.
        #expect(plan.imageRanges == [GuestRange(start: GuestAddress(0x10_0000), size: 0x3000)])
    }

    @Test func initrdEndsAtOrBelowInitrdAddrMax() throws {
        var builder = BzImageBuilder()
        builder.initrdAddressMax = 0x27F_FFFF
        let plan = try ImageLoader.load(builder.image, into: try testMemory(), options: LoadOptions(initrd: pattern(0x1800)))
        #expect(plan.initrd == GuestRange(start: GuestAddress(0x27F_E000), size: 0x1800))
        // A last byte exactly at initrd_addr_max is allowed.
        builder.initrdAddressMax = 0x27F_EFFF
        let exact = try ImageLoader.load(builder.image, into: try testMemory(),
                                         options: LoadOptions(initrd: pattern(0x1000)))
        #expect(exact.initrd == GuestRange(start: GuestAddress(0x27F_E000), size: 0x1000))
    }

    @Test func initrdAvoidsTheDecompressionArea() throws {
        var builder = BzImageBuilder()
        // The ceiling (16.5 MiB) falls inside [16 MiB, 17 MiB), where the kernel decompresses.
        builder.initrdAddressMax = 0x107_FFFF
        let plan = try ImageLoader.load(builder.image, into: try testMemory(),
                                        options: LoadOptions(initrd: pattern(0x1_0000)))
        #expect(plan.initrd == GuestRange(start: GuestAddress(0xFF_0000), size: 0x1_0000))
    }

    @Test func initrdAvoidsTheProtectedModeKernel() throws {
        var builder = BzImageBuilder()
        builder.preferredAddress = 0x10_0000
        builder.kernelAlignment = 0x1000
        builder.initSize = 0x1000
        // Ceiling 0x104000: 0x1000 bytes fit at [0x103000, 0x104000), right above the
        // kernel's 0x3000 bytes at 1 MiB.
        builder.initrdAddressMax = 0x10_3FFF
        let plan = try ImageLoader.load(builder.image, into: try testMemory(),
                                        options: LoadOptions(initrd: pattern(0x1000)))
        #expect(plan.initrd == GuestRange(start: GuestAddress(0x10_3000), size: 0x1000))
        // One byte more cannot go below the kernel: 1 MiB is the floor.
        let error = try loadError(builder.image, options: LoadOptions(initrd: pattern(0x1001)))
        #expect(error == .initrdDoesNotFit(size: 0x1001, ceiling: 0x10_4000,
                                           limitedBy: "the kernel's initrd_addr_max is 0x103fff", largestFree: 0x1000))
    }

    @Test func largestInitrdThatFitsAndOneByteMore() throws {
        // RAM above the decompression area: [17 MiB, 64 MiB) = 47 MiB.
        let fits = [UInt8](repeating: 0x5A, count: 47 << 20)
        let plan = try ImageLoader.load(BzImageBuilder().image, into: try testMemory(),
                                        options: LoadOptions(initrd: fits))
        #expect(plan.initrd == GuestRange(start: GuestAddress(0x110_0000), size: 47 << 20))

        let memory = try testMemory()
        let error = try loadError(BzImageBuilder().image, memory: memory,
                                  options: LoadOptions(initrd: fits + [0x5A]))
        #expect(error == .initrdDoesNotFit(size: (47 << 20) + 1, ceiling: 0x400_0000, limitedBy: Self.ramLimit,
                                           largestFree: 47 << 20))
        #expect(error?.description.contains("does not fit below 0x4000000") == true)
        #expect(try isZero(memory, at: 0x10_0000, count: 0x1000))
        #expect(try isZero(memory, at: 0x7000, count: 0x1000))
        #expect(try isZero(memory, at: 0x3FF_F000, count: 0x1000))
    }

    @Test func initrdTooLargeForRAM() throws {
        let memory = try testMemory(32 << 20)
        let error = try loadError(BzImageBuilder().image, memory: memory,
                                  options: LoadOptions(initrd: [UInt8](repeating: 1, count: 40 << 20)))
        // Free: [1 MiB + 12 KiB, 16 MiB) and [17 MiB, 32 MiB), the larger.
        #expect(error == .initrdDoesNotFit(size: 40 << 20, ceiling: 0x200_0000, limitedBy: Self.ramLimit,
                                           largestFree: 0xF0_0000))
    }

    @Test func initrdNotPlaceableBelowInitrdAddrMax() throws {
        var builder = BzImageBuilder()
        builder.initrdAddressMax = 0x1F_FFFF  // 2 MiB - 1: only [1 MiB + 12 KiB, 2 MiB) is free
        let memory = try testMemory()
        let error = try loadError(builder.image, memory: memory, options: LoadOptions(initrd: pattern(0x10_0000)))
        #expect(error == .initrdDoesNotFit(size: 0x10_0000, ceiling: 0x20_0000,
                                           limitedBy: "the kernel's initrd_addr_max is 0x1fffff",
                                           largestFree: 0xF_D000))
        #expect(error?.description.contains("initrd_addr_max") == true)
        #expect(try isZero(memory, at: 0x10_0000, count: 0x1000))
        #expect(try isZero(memory, at: 0x7000, count: 0x1000))
    }

    @Test func initrdBelowFourGiBWithRAMAbove() throws {
        let memory = try testMemory(0x1_4000_0000)  // 5 GiB: low RAM ends at 3 GiB
        var builder = BzImageBuilder()
        builder.initrdAddressMax = 0xFFFF_FFFF
        let plan = try ImageLoader.load(builder.image, into: memory, options: LoadOptions(initrd: pattern(0x1000)))
        #expect(plan.initrd == GuestRange(start: GuestAddress(0xBFFF_F000), size: 0x1000))
    }

    @Test func aKernelThatDoesNotFitIsReportedBeforeTheInitrd() throws {
        var builder = BzImageBuilder()
        builder.initSize = 0x300_1000  // the decompression area runs 4 KiB past 64 MiB
        let error = try loadError(builder.image, options: LoadOptions(initrd: [UInt8](repeating: 1, count: 20 << 20)))
        #expect(error == .outsideMemory(what: "the kernel's decompression area (init_size 0x3001000)",
                                        range: GuestRange(start: GuestAddress(0x100_0000), size: 0x300_1000)))
    }

    @Test func emptyInitrdIsAnError() throws {
        #expect(try loadError(BzImageBuilder().image, options: LoadOptions(initrd: [])) == .emptyInitrd)
        #expect(try loadError(VmlinuxBuilder.image(), options: LoadOptions(initrd: [])) == .emptyInitrd)
    }

    @Test func initrdWithANonLinuxImageIsRefused() throws {
        let options = LoadOptions(initrd: pattern(16))
        let elf = ELFBuilder.elf64(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: pattern(16))])
        #expect(try loadError(elf, options: options) == .initrdNotSupported(format: .elf64))
        let elf32 = ELFBuilder.elf32(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: pattern(16))])
        #expect(try loadError(elf32, options: options) == .initrdNotSupported(format: .elf32))
        let memory = try testMemory()
        #expect(try loadError(elf32, memory: memory, options: options) == .initrdNotSupported(format: .elf32))
        #expect(try isZero(memory, at: 0x10_0000, count: 0x800))
        // A multiboot or PVH kernel takes it as module 0 (MultibootModuleTests, PVHTests).
        var flat = options
        flat.flat = FlatImageOptions(address: GuestAddress(0x10_0000), mode: .long)
        #expect(try loadError(pattern(16), options: flat) == .initrdNotSupported(format: .flat))
        #expect(LoaderError.initrdNotSupported(format: .multiboot).description.contains("multiboot"))
    }
}
