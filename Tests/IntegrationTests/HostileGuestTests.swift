import Foundation
import Testing
import VMM

/// The hostile guest (Guests/multiboot/hostile.c) against the `vmm` binary, one
/// storm per test: each is run after a benign run of the same guest with the same
/// devices (`storm=none`), and must leave the VMM up (or stopped with a clear
/// reason), never killed by a signal, its images unchanged beyond what the guest
/// legitimately wrote, no other file touched, and its peak RSS within
/// `rssAllowanceMiB` of the benign run's (docs/security.md, "Hostile guests").
@Suite(requiresKVM, .serialized) struct HostileGuestTests {
    /// How far a storm's peak RSS may exceed the benign run's.
    static let rssAllowanceMiB = 8.0
    static let sectors = 64

    /// A directory with a writable and a read-only disk image; the vsock socket goes there too.
    struct Sandbox {
        let directory: URL
        let disk: URL
        let readOnlyDisk: URL
        let diskBytes: Data
        let readOnlyBytes: Data

        init() throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("vmm-hostile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            disk = directory.appendingPathComponent("disk.img")
            readOnlyDisk = directory.appendingPathComponent("ro.img")
            diskBytes = Data((0..<(HostileGuestTests.sectors * 512)).map { UInt8(truncatingIfNeeded: $0 &* 131 >> 3) })
            readOnlyBytes = Data((0..<(HostileGuestTests.sectors * 512)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            try diskBytes.write(to: disk)
            try readOnlyBytes.write(to: readOnlyDisk)
        }

        var socket: String { directory.appendingPathComponent("v.sock").path }

        /// The device options: two disks (the second read-only), rng, a virtio console, vsock.
        var deviceArguments: [String] {
            ["--drive", disk.path, "--drive", readOnlyDisk.path + ",ro", "--rng", "--console", "virtio",
             "--vsock", "cid=3,uds=\(socket)"]
        }

        /// Files in the directory other than the images and the vsock socket.
        func strayFiles() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { !["disk.img", "ro.img", "v.sock"].contains($0) }
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// Runs `storm` (after a benign run) and checks what every storm must keep.
    static func run(_ storm: String, cpus: Int = 1, sandbox: Sandbox,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> (benign: MeasuredRun, hostile: MeasuredRun) {
        let guest = try Environment.guest("hostile.elf")
        func vmm(_ storm: String) throws -> MeasuredRun {
            try MeasuredRun.run([Environment.vmmBinary, "run", "--kernel", guest, "--memory", "64M",
                                 "--cpus", "\(cpus)", "--cmdline", "storm=\(storm)", "--timeout", "60"]
                                + sandbox.deviceArguments, timeout: 90)
        }
        let benign = try vmm("none")
        #expect(benign.status == 1 && benign.stdout.contains("hostile: done"), "\(benign.stderr)",
                sourceLocation: sourceLocation)
        let hostile = try vmm(storm)
        print("hostile storm=\(storm): \(String(format: "%.2f", hostile.seconds)) s, exit \(hostile.status ?? -1), "
            + "peak RSS \(String(format: "%.1f", hostile.peakRSSMiB)) MiB (benign run: "
            + "\(String(format: "%.1f", benign.peakRSSMiB)) MiB, \(String(format: "%.2f", benign.seconds)) s)")
        #expect(hostile.signal == nil, "vmm died of signal \(hostile.signal ?? 0): \(hostile.stderr)",
                sourceLocation: sourceLocation)
        #expect(!hostile.timedOut, "vmm hung: \(hostile.stderr)", sourceLocation: sourceLocation)
        #expect(benign.peakRSSKiB > 1024 && hostile.peakRSSKiB > 1024, "VmHWM was not read",
                sourceLocation: sourceLocation)
        #expect(hostile.peakRSSMiB <= benign.peakRSSMiB + rssAllowanceMiB,
                "peak RSS \(hostile.peakRSSMiB) MiB against \(benign.peakRSSMiB) MiB benign",
                sourceLocation: sourceLocation)
        #expect(try Data(contentsOf: sandbox.readOnlyDisk) == sandbox.readOnlyBytes, sourceLocation: sourceLocation)
        #expect(try sandbox.strayFiles() == [], sourceLocation: sourceLocation)
        return (benign, hostile)
    }

    @Test func portStormLeavesTheVMMUp() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let (_, run) = try Self.run("pio", sandbox: sandbox)
        #expect(run.status == 1, "\(run.stderr)")
        // 0x1000 - 5 ports written and read below 0x1000 (not 0xF4-0xF7, 0xCF9),
        // 0xF000 above, then 5000 at the device ports.
        #expect(run.stdout.contains("hostile: pio accesses 70531\nhostile: done\n"), "\(run.stdout.suffix(300))")
        #expect(try Data(contentsOf: sandbox.disk) == sandbox.diskBytes)
    }

    @Test func mmioStormOnEveryVirtioWindowLeavesTheVMMUp() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let (_, run) = try Self.run("mmio", sandbox: sandbox)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.contains("hostile: mmio windows 5, accesses "), "\(run.stdout.suffix(300))")
        #expect(run.stdout.hasSuffix("hostile: done\n"))
        #expect(try Data(contentsOf: sandbox.disk) == sandbox.diskBytes)
        // Each device logs at most 32 driver errors and then one line saying it stops.
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count <= 5 * 33 + 1, "\(lines.count) lines")
    }

    @Test func dmaAttacksEndInNeedsResetAndTheDiskStillWorks() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let (_, run) = try Self.run("dma", sandbox: sandbox)
        #expect(run.status == 1, "\(run.stderr)")
        let attacks = run.stdout.split(separator: "\n").filter { $0.hasPrefix("hostile: dma ") && $0.contains(" -> ") }
        #expect(attacks.count == 20, "\(run.stdout)")
        for line in attacks { #expect(line.hasSuffix("-> needs-reset"), "\(line)") }
        #expect(run.stdout.contains("hostile: dma device still works\nhostile: done\n"), "\(run.stdout)")
        #expect(try Data(contentsOf: sandbox.disk) == sandbox.diskBytes)
    }

    @Test func interruptFloodsLeaveTheVMMUp() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let (_, run) = try Self.run("irq", sandbox: sandbox)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.contains("hostile: irq THR-empty interrupts "), "\(run.stdout)")
        // Every request is used unless the I/O thread falls ~0.1 s behind (a busy host).
        let used = run.stdout.split(separator: "\n").first { $0.hasPrefix("hostile: irq virtio-rng requests used ") }
            .flatMap { Int($0.dropFirst(38).prefix { $0.isNumber }) }
        #expect((used ?? 0) > 1000, "\(run.stdout)")
        #expect(run.stdout.hasSuffix("hostile: done\n"))
        #expect(try Data(contentsOf: sandbox.disk) == sandbox.diskBytes)
    }

    /// The disk after a write of sector 1 that may or may not have completed.
    static func checkInFlightWrite(_ sandbox: Sandbox) throws {
        let after = try Data(contentsOf: sandbox.disk)
        #expect(after.count == sandbox.diskBytes.count)
        var written = sandbox.diskBytes
        written.replaceSubrange(512..<1024, with: (0..<512).map { UInt8(0xa0 + ($0 & 0xf)) })
        #expect(after == sandbox.diskBytes || after == written, "only sector 1 may change, to the guest's data")
    }

    @Test func tripleFaultWithAWriteInFlightAndASecondVCPU() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let (_, run) = try Self.run("triple", cpus: 2, sandbox: sandbox)
        #expect(run.status == 4, "\(run.stderr)")
        #expect(run.stderr.contains("vmm: vCPU 0: triple fault (KVM_EXIT_SHUTDOWN)"), "\(run.stderr)")
        try Self.checkInFlightWrite(sandbox)
    }

    /// int3 and xsave stop the vCPU with an emulation failure on this host (status
    /// 6, RIP and bytes named); with hardware virtualization they fault and, with no
    /// IDT, the guest triple faults (status 4).
    @Test(arguments: [("int3", "cc"), ("xsave", "0f ae")])
    func instructionKVMCannotEmulateWithAWriteInFlight(storm: String, bytes: String) throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let (_, run) = try Self.run(storm, cpus: 2, sandbox: sandbox)
        #expect(run.status == 6 || run.status == 4, "\(run.stderr)")
        if run.status == 6 {
            #expect(run.stderr.contains("KVM internal error (emulation failure) at RIP 0x"), "\(run.stderr)")
            #expect(run.stderr.contains("instruction bytes: \(bytes)"), "\(run.stderr)")
        } else {
            #expect(run.stderr.contains("triple fault"), "\(run.stderr)")
        }
        try Self.checkInFlightWrite(sandbox)
    }

    /// The DMA storm through the library: the VirtualMachine ends through the
    /// guest's debug exit, and the disk is unchanged.
    @Test func dmaStormThroughTheLibrary() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let run = try GuestRun.boot(guest: "hostile.elf", commandLine: "storm=dma") {
            $0.drives = [DriveConfiguration(path: sandbox.disk.path),
                         DriveConfiguration(path: sandbox.readOnlyDisk.path, readOnly: true)]
        }
        #expect(run.reason == .debugExit(status: 1), "\(run.output)")
        #expect(run.output.hasSuffix("hostile: dma device still works\nhostile: done\n"), "\(run.output)")
        #expect(try Data(contentsOf: sandbox.disk) == sandbox.diskBytes)
        #expect(try Data(contentsOf: sandbox.readOnlyDisk) == sandbox.readOnlyBytes)
    }
}
