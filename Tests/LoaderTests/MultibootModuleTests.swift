import Loader
import Memory
import Testing

@Suite struct MultibootModuleTests {
    /// A 0x800-byte a.out-kludge kernel at 1 MiB with bss up to 0x102000.
    static let kernel = MultibootBuilder.aout(size: 0x800, headerOffset: 0x40, loadAddress: 0x10_0000,
                                              bssEnd: 0x10_2000, entryOffset: 0x100)

    @Test func modulesArePlacedPageAlignedAfterTheKernelAndListed() throws {
        let memory = try testMemory()
        let options = LoadOptions(imageName: "kernel.elf", initrd: pattern(0x1001, seed: 9), initrdName: "initrd.img",
                                  modules: [BootModule(bytes: pattern(3, seed: 2), string: "b.bin arg=1")])
        let plan = try ImageLoader.load(Self.kernel, into: memory, options: options)
        #expect(plan.modules == [GuestRange(start: GuestAddress(0x10_2000), size: 0x1001),
                                 GuestRange(start: GuestAddress(0x10_4000), size: 3)])
        let info = InfoReader(memory: memory, base: 0x7000)
        #expect(try info.u32(0) == 0x24D)  // mem, cmdline, mods, mmap, boot loader name
        #expect(try info.u32(20) == 2)
        let list = try info.u32(24)
        #expect(list >= 0x7000 && list < 0x8000 && list % 16 == 0)
        let entries = InfoReader(memory: memory, base: UInt64(list))
        #expect(try entries.u32(0) == 0x10_2000 && entries.u32(4) == 0x10_3001)
        #expect(try entries.u32(16) == 0x10_4000 && entries.u32(20) == 0x10_4003)
        #expect(try entries.u32(12) == 0 && entries.u32(28) == 0)
        #expect(try info.string(at: entries.u32(8)) == "initrd.img")
        #expect(try info.string(at: entries.u32(24)) == "b.bin arg=1")
        #expect(try memory.read(at: GuestAddress(0x10_2000), count: 0x1001) == pattern(0x1001, seed: 9))
        #expect(try memory.read(at: GuestAddress(0x10_4000), count: 3) == pattern(3, seed: 2))
        // The memory map and name are where they were.
        #expect(try info.string(at: info.u32(64)) == "swift-vmm")
    }

    @Test func withoutModulesTheFlagStaysClear() throws {
        let memory = try testMemory()
        let plan = try ImageLoader.load(Self.kernel, into: memory, options: LoadOptions())
        #expect(plan.modules.isEmpty)
        #expect(try InfoReader(memory: memory, base: 0x7000).u32(0) & 0x8 == 0)
    }

    @Test func modulesThatDoNotFitAreRefusedBeforeAnythingIsWritten() throws {
        let memory = try testMemory(2 << 20)
        let options = LoadOptions(modules: [BootModule(bytes: pattern(0x8000), string: "a"),
                                            BootModule(bytes: pattern(0x10_0000), string: "b")])
        let error = try #require(try loadError(Self.kernel, memory: memory, options: options))
        #expect(error == .moduleDoesNotFit(what: "module 1 (b)", size: 0x10_0000, start: 0x10_A000, ramEnd: 2 << 20))
        #expect("\(error)".contains("module 1 (b) (1048576 bytes) does not fit"))
        #expect(try isZero(memory, at: 0x10_0000, count: 0x800))
        // Too many for the information page.
        let many = LoadOptions(modules: (0..<200).map { BootModule(bytes: [1], string: "module-\($0)") })
        let list = try #require(try loadError(Self.kernel, options: many))
        guard case .moduleListTooLarge(200, _, _) = list else {
            Issue.record("expected moduleListTooLarge, got \(list)")
            return
        }
        #expect(try loadError(Self.kernel, options: LoadOptions(initrd: [])) == .emptyInitrd)
    }
}
