import Foundation
import Testing

/// The same multiboot guests under QEMU microvm (an implementation nobody here
/// wrote) and under swift-vmm must print the same bytes and exit with the same
/// status. Guests whose behaviour is defined differently are left out: mmio.elf
/// (QEMU reads unassigned MMIO as 0, swift-vmm as all ones), triple.elf (QEMU
/// -no-reboot exits 0, swift-vmm 4) and badinsn.elf (QEMU keeps running).
@Suite(requiresKVM, .enabled(if: Environment.qemuPath != nil, "needs qemu-system-x86_64 (.ci/run installs it)"))
struct QEMUParityTests {
    static let cases: [(String, String?)] = [
        ("hello.elf", nil), ("exitcode.elf", nil), ("exitcode.elf", "code=9"),
        ("protected.elf", "a b"), ("protected.elf", nil), ("long.elf", nil), ("user.elf", nil),
        ("ioloop.elf", "n=100"),
    ]

    @Test(arguments: cases)
    func sameOutputAndStatus(guest: String, commandLine: String?) throws {
        let path = try Environment.guest(guest)
        let qemu = try #require(Environment.qemuPath)
        var qemuArguments = [
            qemu, "-enable-kvm", "-M", "microvm,x-option-roms=on,rtc=off,pit=off,pic=off", "-m", "64",
            "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", path,
        ]
        var vmmArguments = [Environment.vmmBinary, "run", "--kernel", path, "--memory", "64M"]
        if let commandLine {
            qemuArguments += ["-append", commandLine]
            vmmArguments += ["--cmdline", commandLine]
        }
        let reference = Environment.run(qemuArguments, timeout: 60)
        let ours = Environment.run(vmmArguments, timeout: 60)
        #expect(!reference.stdout.isEmpty, "QEMU printed nothing: \(reference.stderr)")
        #expect(ours.stdout == reference.stdout)
        #expect(ours.status == reference.status)
        #expect(reference.status % 2 == 1, "both ended through the debug exit port")
    }
}
