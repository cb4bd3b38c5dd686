import Loader
import Memory
import Testing

/// Images with a Xen XEN_ELFNOTE_PHYS32_ENTRY note, and the hvm_start_info read back.
enum PVHBuilder {
    static let code = pattern(0x300, seed: 31)

    static func note(entry: UInt64, size: Int = 4) -> [UInt8] {
        var descriptor: [UInt8] = []
        descriptor.put(entry, at: 0)
        return NoteBuilder.note(owner: "Xen", type: 18, descriptor: Array(descriptor.prefix(size)))
    }

    static func elf32(entry: UInt64 = 0x10_0010, notes: [UInt8]? = nil) -> [UInt8] {
        ELFBuilder.elf32(entry: 0x10_0000, segments: [
            TestSegment(at: 0x10_0000, data: code, memorySize: 0x1000),
            NoteBuilder.segment(notes ?? note(entry: entry)),
        ])
    }

    /// Reads `hvm_start_info` and what it points at.
    struct StartInfo {
        let memory: GuestMemory
        let base = BootLayout.bootInfo.start.rawValue

        func u32(_ address: UInt64) throws -> UInt32 { try memory.load(UInt32.self, at: GuestAddress(address)) }
        func u64(_ address: UInt64) throws -> UInt64 { try memory.load(UInt64.self, at: GuestAddress(address)) }
        func field32(_ offset: UInt64) throws -> UInt32 { try u32(base + offset) }
        func field64(_ offset: UInt64) throws -> UInt64 { try u64(base + offset) }

        func string(at address: UInt64) throws -> String {
            try InfoReader(memory: memory, base: 0).string(at: UInt32(address))
        }

        /// (paddr, size, string) per module.
        func modules() throws -> [(UInt64, UInt64, String)] {
            let list = try field64(16)
            return try (0..<UInt64(try field32(12))).map { index in
                let entry = list + index * 32
                return (try u64(entry), try u64(entry + 8), try string(at: try u64(entry + 16)))
            }
        }

        /// (addr, size, type) per memory map entry.
        func memoryMap() throws -> [(UInt64, UInt64, UInt32)] {
            let map = try field64(40)
            return try (0..<UInt64(try field32(48))).map { index in
                let entry = map + index * 24
                return (try u64(entry), try u64(entry + 8), try u32(entry + 16))
            }
        }
    }
}

@Suite struct PVHTests {
    @Test func theXenEntryNoteMakesAnELFPVH() {
        #expect(ImageLoader.detect(PVHBuilder.elf32(), flat: false) == .pvh)
        // A vmlinux with the note: PVH unless the Linux protocol is asked for.
        let notes = NoteBuilder.note(owner: "Linux", type: 6) + PVHBuilder.note(entry: 0x100_0000, size: 8)
        let vmlinux = VmlinuxBuilder.image(notes: notes)
        #expect(ImageLoader.detect(vmlinux, flat: false) == .pvh)
        #expect(ImageLoader.detect(vmlinux, flat: false, bootProtocol: .linux) == .linuxELF)
        #expect(ImageLoader.detect(VmlinuxBuilder.image(), flat: false, bootProtocol: .pvh) == .pvh)
        // Other Xen notes are not an entry point.
        #expect(ImageLoader.detect(PVHBuilder.elf32(notes: NoteBuilder.note(owner: "Xen", type: 17)), flat: false)
            == .elf32)
    }

    @Test func entersProtectedModeAtTheNoteWithEBXAtTheStartInfo() throws {
        let memory = try testMemory()
        let acpi = ACPIPlacement(rsdp: GuestAddress(0xE_0000), tables: GuestRange(start: GuestAddress(0xE_0000), size: 0x1_0000))
        let options = LoadOptions(commandLine: "console=ttyS0 pvh", acpi: acpi)
        let plan = try ImageLoader.load(PVHBuilder.elf32(), into: memory, options: options)
        #expect(plan.format == .pvh)
        #expect(plan.mode == .protected)
        #expect(plan.instructionPointer == 0x10_0010)
        #expect(plan.registers.rbx == BootLayout.bootInfo.start.rawValue)
        #expect(plan.registers.rflags == 0x2)
        #expect(plan.codeSegment.base == 0 && plan.codeSegment.limit == 0xFFFF_FFFF && plan.codeSegment.db)
        #expect(plan.pageTableRoot == nil)
        let info = PVHBuilder.StartInfo(memory: memory)
        #expect(try info.field32(0) == 0x336E_C578)
        #expect(try info.field32(4) == 1)
        #expect(try info.field32(8) == 0)
        #expect(try info.field32(12) == 0)
        #expect(try info.field64(16) == 0)
        #expect(try info.string(at: try info.field64(24)) == "console=ttyS0 pvh")
        #expect(try info.field64(32) == 0xE_0000)
        let map = try info.memoryMap()
        let expected = MemoryMap.pc(for: memory, acpiTables: acpi.tables)
        #expect(map.count == expected.count)
        for (entry, want) in zip(map, expected) {
            #expect(entry.0 == want.base.rawValue && entry.1 == want.length && entry.2 == want.kind.rawValue)
        }
        #expect(try memory.read(at: GuestAddress(0x10_0000), count: PVHBuilder.code.count) == PVHBuilder.code)
    }

    @Test func modulesFollowTheKernelPageAlignedWithTheInitrdFirst() throws {
        let memory = try testMemory()
        let options = LoadOptions(initrd: pattern(5000, seed: 3), initrdName: "/boot/initrd.img",
                                  modules: [BootModule(bytes: pattern(10, seed: 5), string: "a.bin x=1"),
                                            BootModule(bytes: [], string: "empty")])
        let plan = try ImageLoader.load(PVHBuilder.elf32(), into: memory, options: options)
        // The kernel's segment ends at 0x101000 (memsz 0x1000).
        #expect(plan.modules == [GuestRange(start: GuestAddress(0x10_1000), size: 5000),
                                 GuestRange(start: GuestAddress(0x10_3000), size: 10),
                                 GuestRange(start: GuestAddress(0x10_4000), size: 0)])
        let modules = try PVHBuilder.StartInfo(memory: memory).modules()
        #expect(modules.map(\.0) == [0x10_1000, 0x10_3000, 0x10_4000])
        #expect(modules.map(\.1) == [5000, 10, 0])
        #expect(modules.map(\.2) == ["/boot/initrd.img", "a.bin x=1", "empty"])
        #expect(try memory.read(at: GuestAddress(0x10_1000), count: 5000) == pattern(5000, seed: 3))
        #expect(try memory.read(at: GuestAddress(0x10_3000), count: 10) == pattern(10, seed: 5))
    }

    @Test func a64BitELFWithAn8ByteNoteIsEnteredIn32BitMode() throws {
        let memory = try testMemory(64 << 20)
        let notes = NoteBuilder.note(owner: "Linux", type: 6) + PVHBuilder.note(entry: 0x100_0100, size: 8)
        let plan = try ImageLoader.load(VmlinuxBuilder.image(notes: notes), into: memory, options: LoadOptions())
        #expect(plan.format == .pvh)
        #expect(plan.mode == .protected)
        #expect(plan.instructionPointer == 0x100_0100)
        #expect(plan.zeroPage == nil)
    }

    @Test func badNotesAreNamed() throws {
        // Entry outside every loaded segment (the segment's file bytes end at 0x100300).
        let outside = try #require(try loadError(PVHBuilder.elf32(entry: 0x10_0300)))
        #expect(outside.field?.contains("XEN_ELFNOTE_PHYS32_ENTRY") == true, "\(outside)")
        #expect("\(outside)".contains("not inside the file bytes of any PT_LOAD segment"))
        // A descriptor of 2 bytes, or 6.
        for size in [2, 6] {
            let error = try #require(try loadError(PVHBuilder.elf32(notes: PVHBuilder.note(entry: 0x10_0010, size: size))))
            #expect(error.field?.hasPrefix("n_descsz") == true, "\(error)")
        }
        // An 8-byte entry above 4 GiB.
        let high = try #require(try loadError(PVHBuilder.elf32(notes: PVHBuilder.note(entry: 1 << 32 | 0x10_0010, size: 8))))
        #expect("\(high)".contains("32-bit physical address"), "\(high)")
        // A descriptor size running past the segment: truncated.
        var truncated = PVHBuilder.note(entry: 0x10_0010)
        truncated.put(UInt32(64), at: 4)
        let cut = try #require(try loadError(PVHBuilder.elf32(notes: truncated)))
        #expect(cut.truncatedWhat?.contains("XEN_ELFNOTE_PHYS32_ENTRY") == true, "\(cut)")
        // PVH asked for, no note.
        #expect(try loadError(VmlinuxBuilder.image(), options: LoadOptions(bootProtocol: .pvh)) == .noPVHEntry)
        #expect(try loadError(BzImageBuilder().image, options: LoadOptions(bootProtocol: .pvh)) == .noPVHEntry)
    }

    @Test func modulesThatDoNotFitAreNamed() throws {
        let memory = try testMemory(4 << 20)
        let big = LoadOptions(modules: [BootModule(bytes: [UInt8](repeating: 1, count: 3 << 20), string: "big")])
        let error = try #require(try loadError(PVHBuilder.elf32(), memory: memory, options: big))
        guard case .moduleDoesNotFit(let what, let size, let start, let ramEnd) = error else {
            Issue.record("expected moduleDoesNotFit, got \(error)")
            return
        }
        #expect(what == "module 0 (big)")
        #expect(size == 3 << 20 && start == 0x10_1000 && ramEnd == 4 << 20)
        // Too many strings for the start info page.
        let many = LoadOptions(modules: (0..<40).map { BootModule(bytes: [1], string: "m\($0) " + String(repeating: "x", count: 80)) })
        let list = try #require(try loadError(PVHBuilder.elf32(), options: many))
        guard case .moduleListTooLarge(let count, _, _) = list else {
            Issue.record("expected moduleListTooLarge, got \(list)")
            return
        }
        #expect(count == 40)
        // Modules for a format that takes none.
        let elf = ELFBuilder.elf32(entry: 0x10_0000, segments: [TestSegment(at: 0x10_0000, data: pattern(0x40))])
        #expect(try loadError(elf, options: LoadOptions(modules: [BootModule(bytes: [1], string: "m")]))
            == .modulesNotSupported(format: .elf32))
    }
}
