import Loader
import Memory
import Testing

@Suite struct LinuxHeaderErrorTests {
    /// Loads `image` into fresh memory, expects an error, and checks that nothing was
    /// written: not the kernel, the GDT, the zero page nor the command line.
    func failedLoad(_ image: [UInt8], options: LoadOptions = LoadOptions(commandLine: "x")) throws -> LoaderError? {
        let memory = try testMemory()
        let error = try loadError(image, memory: memory, options: options)
        #expect(error != nil)
        #expect(try isZero(memory, at: 0x10_0000, count: 0x1000))
        #expect(try isZero(memory, at: 0x500, count: 0x40))
        #expect(try isZero(memory, at: 0x7000, count: 0x2000))
        return error
    }

    static let headerEndField = "setup header end (0x202 + byte at 0x201)"

    @Test func badMagicIsNotABzImage() throws {
        var image = BzImageBuilder().image
        image.put(Array("HdrZ".utf8), at: 0x202)
        #expect(ImageLoader.detect(image, flat: false) == nil)
        #expect(try failedLoad(image) == .unknownFormat(firstBytes: Array(image.prefix(16))))
        var noFlag = BzImageBuilder().image
        noFlag.put(UInt16(0xAA56), at: 0x1FE)
        #expect(ImageLoader.detect(noFlag, flat: false) == nil)
        #expect(throws: LoaderError.self) { try LinuxSetupHeader(parsing: noFlag) }
    }

    @Test func headerRunningPastTheFileIsTruncated() throws {
        let image = Array(BzImageBuilder().image.prefix(0x250))
        #expect(ImageLoader.detect(image, flat: false) == .bzImage)
        #expect(try failedLoad(image) == .truncated(what: "Linux setup header", offset: 0x1F1, needed: 0x26C - 0x1F1,
                                                    fileSize: 0x250))
    }

    @Test func headerEndPastTheZeroPagesRoomIsCorrupt() throws {
        var builder = BzImageBuilder()
        builder.headerEnd = 0x202 + 0xA0
        let error = try failedLoad(builder.image)
        #expect(error?.field == Self.headerEndField)
        #expect(error == .invalidField(format: .bzImage, field: Self.headerEndField, value: 0x2A2,
                                       reason: "must be between 0x208 and 0x290"))
    }

    @Test func headerTooShortForItsProtocolIsCorrupt() throws {
        var builder = BzImageBuilder()
        builder.headerEnd = 0x264
        #expect(try failedLoad(builder.image)?.field == Self.headerEndField)
        builder.headerEnd = 0x268
        #expect(try loadError(builder.image) == nil)
    }

    @Test func missingProtectedModeKernelIsTruncated() throws {
        var builder = BzImageBuilder()
        builder.kernel = []
        builder.systemSize = 1
        let error = try failedLoad(builder.image)
        #expect(error?.isTruncated == true)
        #expect(error?.truncatedWhat?.hasPrefix("protected-mode kernel") == true)
    }

    @Test func kernelShorterThanSyssizeIsTruncated() throws {
        var builder = BzImageBuilder()
        builder.systemSize = UInt32(builder.kernel.count / 16 + 1)
        let error = try failedLoad(builder.image)
        #expect(error == .truncated(what: "protected-mode kernel (syssize 0x301 paragraphs)", offset: 0xA00,
                                    needed: 0x3010, fileSize: UInt64(0xA00 + builder.kernel.count)))
    }

    @Test func emptySyssizeIsCorrupt() throws {
        var builder = BzImageBuilder()
        builder.systemSize = 0
        #expect(try failedLoad(builder.image)?.field == "syssize")
    }

    @Test func protocolTwoElevenIsTooOld() throws {
        var builder = BzImageBuilder()
        builder.version = 0x020B
        let error = try failedLoad(builder.image)
        #expect(error == .oldBootProtocol(version: 0x020B, minimum: 0x020C))
        #expect(error?.description.contains("old boot protocol") == true)
        #expect(error?.description.contains("2.11") == true)
        #expect(error?.description.contains("2.12") == true)
        builder.version = 0x020C
        #expect(try loadError(builder.image) == nil)
    }

    @Test func oldKernelWithAShortHeaderIsReportedAsOldNotCorrupt() throws {
        var builder = BzImageBuilder()
        builder.version = 0x0202
        builder.headerEnd = 0x22C
        #expect(try failedLoad(builder.image) == .oldBootProtocol(version: 0x0202, minimum: 0x020C))
    }

    @Test func kernelWithoutSixtyFourBitEntryIsRefused() throws {
        var builder = BzImageBuilder()
        builder.extendedLoadFlags = 0x0002
        let error = try failedLoad(builder.image)
        #expect(error?.field == "xloadflags")
        guard case .invalidField(.bzImage, _, let value, let reason) = error else {
            Issue.record("expected invalidField, got \(String(describing: error))")
            return
        }
        #expect(value == 2)
        #expect(reason.contains("XLF_KERNEL_64"))
    }

    @Test func kernelWithoutLoadedHighIsRefused() throws {
        var builder = BzImageBuilder()
        builder.loadFlags = 0x20
        let error = try failedLoad(builder.image)
        #expect(error?.field == "loadflags")
        #expect(error?.description.contains("LOADED_HIGH") == true)
    }

    @Test func relocatableKernelNeedsAPowerOfTwoAlignment() throws {
        var builder = BzImageBuilder()
        builder.kernelAlignment = 0x30_0000
        #expect(try failedLoad(builder.image)?.field == "kernel_alignment")
        builder.kernelAlignment = 0
        #expect(try failedLoad(builder.image)?.field == "kernel_alignment")
    }

    @Test func fixedKernelMustWantOneMiB() throws {
        var builder = BzImageBuilder()
        builder.relocatable = 0
        builder.code32Start = 0x20_0000
        let error = try failedLoad(builder.image)
        #expect(error?.field == "code32_start")
        guard case .invalidField(_, _, let value, _) = error else { return }
        #expect(value == 0x20_0000)
    }

    @Test func zeroInitSizeIsCorrupt() throws {
        var builder = BzImageBuilder()
        builder.initSize = 0
        #expect(try failedLoad(builder.image)?.field == "init_size")
    }

    @Test func kernelAndInitSizeMustFitInRAM() throws {
        var builder = BzImageBuilder()
        // Decompression runs at pref_address (16 MiB): 48 MiB of init_size end exactly at 64 MiB.
        builder.initSize = 0x300_0000
        #expect(try loadError(builder.image) == nil)
        builder.initSize = 0x300_1000
        #expect(try failedLoad(builder.image)
            == .outsideMemory(what: "the kernel's decompression area (init_size 0x3001000)",
                              range: GuestRange(start: GuestAddress(0x100_0000), size: 0x300_1000)))
    }

    @Test func kernelLargerThanRAMIsRefused() throws {
        let memory = try testMemory(2 << 20)
        var builder = BzImageBuilder()
        builder.kernel = pattern(0x10_0010)
        builder.preferredAddress = 0x10_0000
        builder.kernelAlignment = 0x1000
        builder.initSize = 0x1000
        let error = try loadError(builder.image, memory: memory)
        #expect(error == .outsideMemory(what: "protected-mode kernel",
                                        range: GuestRange(start: GuestAddress(0x10_0000), size: 0x10_0010)))
        #expect(try isZero(memory, at: 0x10_0000, count: 0x1000))
    }
}
