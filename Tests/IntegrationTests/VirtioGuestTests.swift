import Foundation
import Testing
import VMM

/// The freestanding virtio-mmio driver (Guests/multiboot/virtio.c) against
/// swift-vmm's virtio-blk, virtio-rng and virtio-console, and against QEMU's.
@Suite(requiresKVM) struct VirtioGuestTests {
    /// FNV-1a over 32-bit little-endian words, the guest's checksum (Guests/README.md).
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        var index = 0
        while index + 4 <= bytes.count {
            let word = UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
                | UInt32(bytes[index + 3]) << 24
            hash = (hash ^ word) &* 0x0100_0193
            index += 4
        }
        return hash
    }

    /// A disk image of `sectors` sectors of deterministic, varied bytes.
    static func makeDisk(sectors: Int) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("vmm-disk-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).img")
        let bytes = (0..<(sectors * 512)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        try Data(bytes).write(to: url)
        return url
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    @Test func blockRNGAndConsole() throws {
        let disk = try Self.makeDisk(sectors: 128)
        defer { try? FileManager.default.removeItem(at: disk) }
        let run = try GuestRun.boot(guest: "virtio.elf", commandLine: "blk=rw need=blk,rng,console") {
            $0.drives = [DriveConfiguration(path: disk.path)]
            $0.rng = true
            $0.virtioConsole = true
        }
        #expect(run.reason == .debugExit(status: 1), "\(run.output)")
        #expect(run.output.hasSuffix("virtio: blk ok, rng ok, console ok, net absent, vsock absent\nvirtio: PASS\n"))
        #expect(run.output.contains("virtio-mmio: blk at 0xd0000000 irq 5 version 2"))
        #expect(run.output.contains("virtio-blk: id \"swiftvmm-disk0\"\n"))
        // The console's output reaches the host; the guest's checksum of the whole
        // disk (after its writes) equals the host file's.
        #expect(run.output.contains("hello from virtio-console\n"))
        let onDisk = Self.checksum([UInt8](try Data(contentsOf: disk)))
        #expect(run.output.contains("virtio-blk: checksum \(Self.hex(onDisk)) over 128 sectors\n"))
        // Queue notifications go to ioeventfds: none of the MMIO exits is a QueueNotify
        // write, so the exits are far fewer than the requests' register accesses.
        #expect(run.report.kvmCounter("exits").map { $0 > run.report.totalExits } == true)
    }

    @Test func readOnlyDriveIsNeverWritten() throws {
        let disk = try Self.makeDisk(sectors: 64)
        defer { try? FileManager.default.removeItem(at: disk) }
        let before = try Data(contentsOf: disk)
        let run = try GuestRun.boot(guest: "virtio.elf", commandLine: "blk=ro need=blk") {
            $0.drives = [DriveConfiguration(path: disk.path, readOnly: true)]
        }
        #expect(run.reason == .debugExit(status: 1), "\(run.output)")
        #expect(run.output.contains("virtio: PASS\n"))
        #expect(try Data(contentsOf: disk) == before)
        #expect(run.output.contains("virtio-blk: checksum \(Self.hex(Self.checksum([UInt8](before)))) over 64 sectors"))
    }

    @Test func badDrivesAreRefusedBeforeBoot() throws {
        #expect(throws: VMMError.self) {
            _ = try VirtualMachine(configuration: {
                var configuration = MachineConfiguration()
                configuration.memorySize = 16 << 20
                configuration.drives = [DriveConfiguration(path: "/nonexistent/disk.img")]
                return configuration
            }())
        }
        let odd = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-odd-\(getpid()).img")
        try Data(repeating: 1, count: 1000).write(to: odd)
        defer { try? FileManager.default.removeItem(at: odd) }
        let result = Environment.run([Environment.vmmBinary, "run", "--drive", odd.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--drive"), "\(result.stderr)")
        let option = Environment.run([Environment.vmmBinary, "run", "--drive", "\(odd.path),rx"])
        #expect(option.status != 0)
        #expect(option.stderr.contains("unknown option 'rx'"), "\(option.stderr)")
    }

    /// The same guest binary against QEMU microvm's virtio-mmio devices: every line
    /// that does not depend on the VMM (addresses, feature words, the console line
    /// QEMU writes to a file, write-zeroes which only QEMU offers) is identical, and
    /// the two disks end with the same checksum.
    @Test(.enabled(if: Environment.qemuPath != nil, "needs qemu-system-x86_64"))
    func sameResultsAsQEMU() throws {
        let qemu = try #require(Environment.qemuPath)
        let path = try Environment.guest("virtio.elf")
        let ours = try Self.makeDisk(sectors: 128), theirs = try Self.makeDisk(sectors: 128)
        let consoleFile = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-hvc-\(getpid()).txt")
        defer { [ours, theirs, consoleFile].forEach { try? FileManager.default.removeItem(at: $0) } }
        let commandLine = "blk=rw need=blk,rng,console"
        let reference = Environment.run([
            qemu, "-enable-kvm", "-M", "microvm,x-option-roms=on,rtc=off,pit=on,pic=on", "-m", "64",
            "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-global", "virtio-mmio.force-legacy=false",
            "-drive", "id=d0,file=\(theirs.path),format=raw,if=none",
            "-device", "virtio-blk-device,drive=d0,serial=swiftvmm-disk0", "-device", "virtio-rng-device",
            "-chardev", "file,id=c0,path=\(consoleFile.path)", "-device", "virtio-serial-device",
            "-device", "virtconsole,chardev=c0", "-kernel", path, "-append", commandLine,
        ], timeout: 60)
        let result = Environment.run([Environment.vmmBinary, "run", "--kernel", path, "--memory", "64M",
                                      "--drive", ours.path, "--rng", "--console", "virtio", "--cmdline", commandLine])
        func common(_ text: String) -> [Substring] {
            text.split(separator: "\n").filter {
                !$0.hasPrefix("virtio-mmio:") && !$0.hasPrefix("virtio-blk: write-zeroes")
                    && $0 != "hello from virtio-console"
            }
        }
        #expect(reference.status == 1, "QEMU: \(reference.stdout) \(reference.stderr)")
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(common(result.stdout) == common(reference.stdout))
        #expect(try Data(contentsOf: ours) == Data(contentsOf: theirs))
        #expect((try? String(contentsOf: consoleFile, encoding: .utf8))?.contains("hello from virtio-console") == true)
    }
}
