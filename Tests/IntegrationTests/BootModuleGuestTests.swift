import Firmware
import Foundation
import Loader
import Memory
import Testing
import VMM

/// Module files for the module and PVH guests, and the lines the guests print for them.
struct ModuleFixture {
    let directory: URL
    let files: [(path: String, bytes: [UInt8])]

    /// `sizes` files of deterministic bytes in a fresh temporary directory.
    init(sizes: [Int]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-modules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var files: [(String, [UInt8])] = []
        for (index, size) in sizes.enumerated() {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 31) ^ (index &* 77) ^ ($0 >> 8)) }
            let path = directory.appendingPathComponent("mod\(index).bin").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            files.append((path, bytes))
        }
        self.files = files
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// FNV-1a over the bytes, as Guests/common/modules.h computes it.
    static func fnv1a(_ bytes: [UInt8]) -> UInt32 {
        bytes.reduce(0x811C_9DC5 as UInt32) { ($0 ^ UInt32($1)) &* 0x0100_0193 }
    }

    /// "<prefix> module <i> <start> <end> '<string>' sum <fnv>", as the guests print it.
    static func line(_ prefix: String, _ index: Int, range: GuestRange, string: String, bytes: [UInt8]) -> String {
        String(format: "%@ module %d %08x %08x '%@' sum %08x\n", prefix, index, UInt32(range.start.rawValue),
               UInt32(range.end), string, fnv1a(bytes))
    }
}

@Suite(.serialized, requiresKVM)
struct BootModuleGuestTests {
    @Test func multibootModulesArriveWithTheirStringsAndBytes() throws {
        let fixture = try ModuleFixture(sizes: [5000, 100, 0])
        defer { fixture.remove() }
        let run = try GuestRun.boot(guest: "modules.elf") { configuration in
            configuration.initrdPath = fixture.files[0].path
            configuration.modules = [ModuleFile(path: fixture.files[1].path, arguments: "a=1 b"),
                                     ModuleFile(path: fixture.files[2].path)]
        }
        let modules = run.plan.bootPlan.modules
        try #require(modules.count == 3)
        let strings = [fixture.files[0].path, fixture.files[1].path + " a=1 b", fixture.files[2].path]
        var expected = "mods: flags bit 3 1, count 3\n"
        for index in 0..<3 {
            expected += ModuleFixture.line("mods:", index, range: modules[index], string: strings[index],
                                           bytes: fixture.files[index].bytes)
        }
        expected += "mods: done\n"
        #expect(run.output == expected)
        #expect(run.reason == .debugExit(status: 1))
        // Page-aligned, one after the other, after the kernel.
        let kernelEnd = run.plan.bootPlan.imageRanges.map(\.end).max() ?? 0
        #expect(modules[0].start.rawValue == (kernelEnd + 0xFFF) & ~0xFFF)
        #expect(modules.allSatisfy { $0.start.rawValue % 4096 == 0 })
        #expect(modules[1].start.rawValue >= modules[0].end && modules[2].start.rawValue >= modules[1].end)
    }

    @Test func badModuleOptionsAreNamed() throws {
        let guest = try Environment.guest("modules.elf")
        let missing = Environment.run([Environment.vmmBinary, "run", "--kernel", guest, "--module", "/nonexistent/m"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("invalid --module: cannot read /nonexistent/m"), "\(missing.stderr)")
        let fixture = try ModuleFixture(sizes: [3 << 20])
        defer { fixture.remove() }
        let big = Environment.run([Environment.vmmBinary, "run", "--kernel", guest, "--memory", "2M",
                                   "--module", fixture.files[0].path])
        #expect(big.status == 2)
        #expect(big.stderr.contains("module 0 (\(fixture.files[0].path)) (\(3 << 20) bytes) does not fit"),
                "\(big.stderr)")
        let protocolName = Environment.run([Environment.vmmBinary, "run", "--kernel", guest, "--boot-protocol", "xen"])
        #expect(protocolName.status != 0)
        #expect(protocolName.stderr.contains("--boot-protocol must be auto, pvh or linux"), "\(protocolName.stderr)")
        let plain = try Environment.guest("elf32.elf")
        let refused = Environment.run([Environment.vmmBinary, "run", "--kernel", plain, "--module", guest])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("modules (--module"), "\(refused.stderr)")
    }

    /// QEMU's -initrd "FILE ARGS,FILE" passes the same modules with the same strings,
    /// sizes and bytes. Addresses differ by design: QEMU puts its information block in
    /// the page(s) after the kernel and the modules after that; swift-vmm keeps the
    /// block at 0x7000, so its modules start one page lower.
    @Test(.enabled(if: Environment.qemuPath != nil, "needs qemu-system-x86_64"))
    func modulesMatchQEMU() throws {
        let qemu = try #require(Environment.qemuPath)
        let guest = try Environment.guest("modules.elf")
        let fixture = try ModuleFixture(sizes: [3000, 17])
        defer { fixture.remove() }
        let (first, second) = (fixture.files[0].path, fixture.files[1].path)
        let reference = Environment.run([
            qemu, "-enable-kvm", "-M", "microvm,x-option-roms=on,rtc=off,pit=off,pic=off", "-m", "64",
            "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", guest,
            "-initrd", "\(first) x=1 y,\(second)",
        ], timeout: 60)
        let ours = Environment.run([Environment.vmmBinary, "run", "--kernel", guest, "--memory", "64M",
                                    "--module", "\(first),x=1 y", "--module", second], timeout: 60)
        #expect(reference.stdout.contains("mods: done"), "QEMU: \(reference.stdout) \(reference.stderr)")
        #expect(Self.withoutAddresses(ours.stdout) == Self.withoutAddresses(reference.stdout))
        #expect(ours.stdout.contains("'\(first) x=1 y' sum "))
        #expect(ours.status == reference.status)
    }

    /// Module lines with START and END replaced by the size.
    static func withoutAddresses(_ output: String) -> [String] {
        output.split(separator: "\n").map { line in
            var words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard words.count > 4, words[1] == "module", let start = UInt32(words[3], radix: 16),
                  let end = UInt32(words[4], radix: 16) else { return String(line) }
            words.replaceSubrange(3...4, with: ["size", String(end &- start)])
            return words.joined(separator: " ")
        }
    }
}

@Suite(.serialized, requiresKVM)
struct PVHGuestTests {
    @Test func pvhGuestSeesItsStartInfo() throws {
        let fixture = try ModuleFixture(sizes: [4096, 33])
        defer { fixture.remove() }
        let run = try GuestRun.boot(guest: "pvh.elf", commandLine: "hello pvh k=v") { configuration in
            configuration.initrdPath = fixture.files[0].path
            configuration.modules = [ModuleFile(path: fixture.files[1].path, arguments: "second")]
        }
        let plan = run.plan.bootPlan
        #expect(plan.format == .pvh)
        var expected = "pvh: magic 336ec578 version 1 flags 00000000\n"
        // CS from the VMM's GDT (0x08), CR0 = PE | ET, CR4 = 0, EFLAGS = 0x2 (IF clear).
        expected += "pvh: entry cs 00000008 cr0 00000011 cr4 00000000 eflags 00000002\n"
        expected += "pvh: cmdline 'hello pvh k=v'\n"
        expected += "pvh: rsdp 00000000000e0000\n"
        // ACPI is on by default: the start info has the RSDP and the map lists the tables as ACPI data.
        let map = MemoryMap.pc(for: try GuestMemory(pcRAMSize: 64 << 20, hugePages: false),
                               acpiTables: GuestRange(start: GuestAddress(ACPITables.regionBase), size: ACPITables.regionSize))
        expected += "pvh: memmap \(map.count)\n"
        for entry in map {
            expected += String(format: "pvh: mem %016llx %016llx %d\n", entry.base.rawValue, entry.length,
                               entry.kind.rawValue)
        }
        expected += "pvh: modules 2\n"
        let strings = [fixture.files[0].path, fixture.files[1].path + " second"]
        for index in 0..<2 {
            expected += ModuleFixture.line("pvh:", index, range: plan.modules[index], string: strings[index],
                                           bytes: fixture.files[index].bytes)
        }
        expected += "pvh: done\n"
        #expect(run.output == expected)
        #expect(run.reason == .debugExit(status: 1))
    }

    /// QEMU starts the same pvh.elf through its own PVH loader: the same structure
    /// version, command line, initrd bytes and entry state (CS, CR0, CR4). QEMU's
    /// memory map, RSDP, EFLAGS bits other than IF, and the initrd's address and
    /// string (it passes none) are its own.
    @Test(.enabled(if: Environment.qemuPath != nil, "needs qemu-system-x86_64"))
    func pvhEntryMatchesQEMU() throws {
        let qemu = try #require(Environment.qemuPath)
        let guest = try Environment.guest("pvh.elf")
        let fixture = try ModuleFixture(sizes: [777])
        defer { fixture.remove() }
        let reference = Environment.run([
            qemu, "-enable-kvm", "-M", "microvm,x-option-roms=on,rtc=off,pit=off,pic=off", "-m", "64",
            "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", guest,
            "-append", "hello from qemu", "-initrd", fixture.files[0].path,
        ], timeout: 60)
        let ours = Environment.run([Environment.vmmBinary, "run", "--kernel", guest, "--memory", "64M",
                                    "--cmdline", "hello from qemu", "--initrd", fixture.files[0].path], timeout: 60)
        func pick(_ output: String) -> [String] {
            output.split(separator: "\n").compactMap { line -> String? in
                let words = line.split(separator: " ")
                if line.hasPrefix("pvh: magic") || line.hasPrefix("pvh: cmdline") || line.hasPrefix("pvh: modules") {
                    return String(line)
                }
                if line.hasPrefix("pvh: entry") { return words.prefix(8).joined(separator: " ") }
                if line.hasPrefix("pvh: module "), let sum = words.last { return "module sum \(sum)" }
                return nil
            }
        }
        #expect(reference.stdout.contains("pvh: done"), "QEMU: \(reference.stdout) \(reference.stderr)")
        #expect(pick(ours.stdout) == pick(reference.stdout))
        #expect(pick(ours.stdout).count == 5, "\(ours.stdout)")
        #expect(ours.status == reference.status)
    }

    @Test func pvhWithoutModulesOrRSDP() throws {
        let run = try GuestRun.boot(guest: "pvh.elf") { configuration in configuration.acpi = false }
        #expect(run.output.contains("pvh: cmdline ''\npvh: rsdp 0000000000000000\n"), "\(run.output)")
        #expect(run.output.hasSuffix("pvh: modules 0\npvh: done\n"))
        #expect(run.reason == .debugExit(status: 1))
    }
}
