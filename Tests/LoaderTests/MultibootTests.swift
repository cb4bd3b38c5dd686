import Loader
import Memory
import Testing

/// Reads the multiboot information block back from guest memory.
struct InfoReader {
    let memory: GuestMemory
    let base: UInt64

    func u32(_ offset: UInt64) throws -> UInt32 { try memory.load(UInt32.self, at: GuestAddress(base + offset)) }
    func u64(_ offset: UInt64) throws -> UInt64 { try memory.load(UInt64.self, at: GuestAddress(base + offset)) }

    /// The NUL-terminated string at guest address `address`.
    func string(at address: UInt32) throws -> String {
        var bytes: [UInt8] = []
        var next = UInt64(address)
        while true {
            let byte = try memory.load(UInt8.self, at: GuestAddress(next))
            if byte == 0 { break }
            bytes.append(byte)
            next += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The mmap entries as (base, length, type).
    func memoryMap() throws -> [(UInt64, UInt64, UInt32)] {
        let length = try u32(44)
        let address = UInt64(try u32(48))
        var entries: [(UInt64, UInt64, UInt32)] = []
        var offset: UInt64 = 0
        while offset < UInt64(length) {
            let entry = InfoReader(memory: memory, base: address + offset)
            #expect(try entry.u32(0) == 20)
            entries.append((try entry.u64(4), try entry.u64(12), try entry.u32(20)))
            offset += UInt64(try entry.u32(0)) + 4
        }
        return entries
    }
}

@Suite struct MultibootLoadTests {
    @Test func aoutKernelIsLoadedByItsAddressFields() throws {
        let memory = try testMemory()
        let image = MultibootBuilder.aout(size: 0x800, headerOffset: 0x40, loadAddress: 0x10_0000,
                                          bssEnd: 0x10_2000, entryOffset: 0x100)
        try memory.write([UInt8](repeating: 0xEE, count: 0x1800), at: GuestAddress(0x10_0800))
        let plan = try ImageLoader.load(image, into: memory, options: LoadOptions(commandLine: "console=ttyS0 quiet"))

        #expect(try memory.read(at: GuestAddress(0x10_0000), count: 0x800) == image)
        #expect(try memory.read(at: GuestAddress(0x10_0800), count: 0x1800).allSatisfy { $0 == 0 })
        #expect(plan.format == .multiboot)
        #expect(plan.mode == .protected)
        #expect(plan.instructionPointer == 0x10_0100)
        #expect(plan.registers.rax == 0x2BAD_B002)
        #expect(plan.registers.rbx == 0x7000)
        #expect(plan.registers.rsp == 0xA000)
        #expect(plan.codeSegment == BootLayout.flatCode32)
        #expect(plan.gdt?.base == 0x500)
        #expect(plan.imageRanges == [GuestRange(start: GuestAddress(0x10_0000), size: 0x2000)])
        #expect(plan.structures.map(\.name) == ["GDT", "multiboot information", "command line", "stack"])
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x508)) == BootLayout.flatCode32.descriptor)

        let info = InfoReader(memory: memory, base: 0x7000)
        #expect(try info.u32(0) == 0x245)  // mem, cmdline, mmap, boot loader name
        #expect(try info.u32(4) == 639)
        #expect(try info.u32(8) == 64512)
        #expect(try info.u32(16) == 0x8000)
        #expect(try info.string(at: info.u32(16)) == "console=ttyS0 quiet")
        #expect(try info.string(at: info.u32(64)) == "swift-vmm")
        #expect(try info.u32(44) == 4 * 24)
        let map = try info.memoryMap()
        #expect(map.map(\.0) == [0, 0x9_FC00, 0xF_0000, 0x10_0000])
        #expect(map.map(\.1) == [0x9_FC00, 0x400, 0x1_0000, (64 << 20) - 0x10_0000])
        #expect(map.map(\.2) == [1, 2, 2, 1])
        // Everything the block points at stays inside the boot info page.
        #expect(try info.u32(48) >= 0x7000 && info.u32(64) < 0x8000)
    }

    @Test func loadAddressMayStartInsideTheFile() throws {
        // header_offset 0x200, header_addr - load_addr 0x180: load_addr is file offset 0x80.
        let memory = try testMemory()
        let image = MultibootBuilder.aout(size: 0x1000, headerOffset: 0x200, loadOffset: 0x80, loadAddress: 0x20_0000,
                                          loadEnd: 0x20_0800, entryOffset: 0x180)
        let plan = try ImageLoader.load(image, into: memory, options: LoadOptions())
        #expect(try memory.read(at: GuestAddress(0x20_0000), count: 0x800) == Array(image[0x80..<0x880]))
        #expect(try memory.load(UInt8.self, at: GuestAddress(0x20_0800)) == 0)
        #expect(plan.imageRanges == [GuestRange(start: GuestAddress(0x20_0000), size: 0x800)])
        #expect(plan.instructionPointer == 0x20_0180)
    }

    @Test func emptyCommandLineIsStillPresent() throws {
        let memory = try testMemory()
        _ = try ImageLoader.load(MultibootBuilder.aout(), into: memory, options: LoadOptions())
        let info = InfoReader(memory: memory, base: 0x7000)
        #expect(try info.u32(0) & 4 != 0)
        #expect(try info.string(at: info.u32(16)) == "")
    }

    @Test func elf32KernelIsLoadedByProgramHeaders() throws {
        let memory = try testMemory()
        var text = pattern(0x200)
        text.put(MultibootBuilder.header(flags: 0x3), at: 0x10)
        let image = ELFBuilder.elf32(entry: 0x10_0040, segments: [
            TestSegment(at: 0x10_0000, data: text, memorySize: 0x1000),
        ])
        #expect(ImageLoader.detect(image, flat: false) == .multiboot)
        let plan = try ImageLoader.load(image, into: memory, options: LoadOptions(commandLine: "x"))
        #expect(try memory.read(at: GuestAddress(0x10_0000), count: 0x200) == text)
        #expect(plan.format == .multiboot)
        #expect(plan.instructionPointer == 0x10_0040)
        #expect(plan.registers.rax == 0x2BAD_B002)
        #expect(plan.imageRanges == [GuestRange(start: GuestAddress(0x10_0000), size: 0x1000)])
    }

    @Test func ramAboveFourGiBIsReported() throws {
        let memory = try testMemory(0xE000_0000)  // 3.5 GiB: 3 GiB low, 512 MiB from 4 GiB
        _ = try ImageLoader.load(MultibootBuilder.aout(), into: memory, options: LoadOptions())
        let info = InfoReader(memory: memory, base: 0x7000)
        #expect(try info.u32(8) == (0xC000_0000 - 0x10_0000) / 1024)
        let map = try info.memoryMap()
        #expect(map.count == 5)
        #expect(map.last?.0 == 0x1_0000_0000)
        #expect(map.last?.1 == 0x2000_0000)
        #expect(map.last?.2 == 1)
        #expect(map[3].1 == 0xC000_0000 - 0x10_0000)
    }

    @Test func videoFlagIsIgnored() throws {
        #expect(try loadError(MultibootBuilder.aout(flags: 0x1_0007)) == nil)
    }

    @Test func validHeaderWinsOverAnEarlierStrayMagic() throws {
        var image = MultibootBuilder.aout(size: 0x800, headerOffset: 0x40)
        image.put(MultibootBuilder.magic, at: 0x10)  // magic with a wrong "checksum" after it
        #expect(try loadError(image) == nil)
    }
}

@Suite struct MultibootErrorTests {
    @Test func badChecksum() throws {
        let image = MultibootBuilder.aout(checksum: 0x1234)
        #expect(ImageLoader.detect(image, flat: false) == .multiboot)
        let error = try loadError(image)
        #expect(error?.field == "checksum")
        if case .invalidField(let format, _, let value, _) = error {
            #expect(format == .multiboot)
            #expect(value == 0x1234)
        }
    }

    @Test func unsupportedRequiredFlags() throws {
        #expect(try loadError(MultibootBuilder.aout(flags: 0x1_0008))?.field == "flags")
        #expect(try loadError(MultibootBuilder.aout(flags: 0x1_8000))?.field == "flags")
    }

    @Test func loadAddressAboveHeaderAddress() throws {
        var image = MultibootBuilder.aout(headerOffset: 0x40)
        image.put(UInt32(0x10_0080), at: 0x40 + 16)  // load_addr above header_addr 0x100040
        #expect(try loadError(image)?.field == "load_addr")
    }

    @Test func loadAddressBeforeStartOfFile() throws {
        // header_addr - load_addr = 0x100 but the header is only 0x40 into the file.
        var image = MultibootBuilder.aout(headerOffset: 0x40)
        image.put(UInt32(0x10_0140), at: 0x40 + 12)
        #expect(try loadError(image)?.field == "header_addr")
    }

    @Test func loadEndBelowLoadAddress() throws {
        let image = MultibootBuilder.aout(loadAddress: 0x10_0000, loadEnd: 0xF_0000)
        #expect(try loadError(image)?.field == "load_end_addr")
    }

    @Test func loadEndBeyondFile() throws {
        let image = MultibootBuilder.aout(size: 0x800, loadAddress: 0x10_0000, loadEnd: 0x10_1000)
        #expect(try loadError(image)?.isTruncated == true)
    }

    @Test func bssEndBelowLoadEnd() throws {
        let image = MultibootBuilder.aout(size: 0x800, loadAddress: 0x10_0000, bssEnd: 0x10_0400)
        #expect(try loadError(image)?.field == "bss_end_addr")
    }

    @Test func entryOutsideLoadedRange() throws {
        #expect(try loadError(MultibootBuilder.aout(size: 0x800, entryOffset: 0x800))?.field == "entry_addr")
        // An entry in the bss is outside the loaded bytes too.
        let inBSS = MultibootBuilder.aout(size: 0x800, bssEnd: 0x10_2000, entryOffset: 0x1000)
        #expect(try loadError(inBSS)?.field == "entry_addr")
    }

    @Test func headerCutShortByEndOfFile() throws {
        var image = [UInt8](repeating: 0x90, count: 0x20)
        image.put(MultibootBuilder.header(flags: 0x1_0000), at: 0x10)  // address fields would need 0x30 bytes
        #expect(try loadError(image)?.isTruncated == true)
    }

    @Test func elf64WithoutAddressFields() throws {
        var text = pattern(0x100)
        text.put(MultibootBuilder.header(flags: 0x3), at: 0)
        let image = ELFBuilder.elf64(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: text)])
        #expect(ImageLoader.detect(image, flat: false) == .multiboot)
        #expect(try loadError(image)?.field == "flags")
    }

    @Test func rawImageWithoutAddressFields() throws {
        var image = pattern(0x100)
        image.put(MultibootBuilder.header(flags: 0x3), at: 0x20)
        #expect(try loadError(image)?.field == "flags")
    }

    @Test func kernelOverlappingBootInfo() throws {
        let image = MultibootBuilder.aout(size: 0x800, loadAddress: 0x7800)
        #expect(try loadError(image)?.overlappedStructure == "multiboot information")
    }

    @Test func bssOverlappingCommandLine() throws {
        let image = MultibootBuilder.aout(size: 0x400, loadAddress: 0x8400, bssEnd: 0x8810)
        #expect(try loadError(image)?.overlappedStructure == "command line")
    }

    @Test func commandLineTooLong() throws {
        let options = LoadOptions(commandLine: String(repeating: "a", count: 4096))
        #expect(try loadError(MultibootBuilder.aout(), options: options)
            == .commandLineTooLong(length: 4096, maximum: 4095))
        let longest = LoadOptions(commandLine: String(repeating: "a", count: 4095))
        #expect(try loadError(MultibootBuilder.aout(), options: longest) == nil)
    }

    @Test func failedLoadWritesNothing() throws {
        let memory = try testMemory()
        let options = LoadOptions(commandLine: String(repeating: "a", count: 5000))
        #expect(try loadError(MultibootBuilder.aout(), memory: memory, options: options) != nil)
        #expect(try memory.read(at: GuestAddress(0), count: 2 << 20).allSatisfy { $0 == 0 })
    }
}
