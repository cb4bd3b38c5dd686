import Foundation
import Testing
import Loader
import Memory
import VMM

/// Debian's stock kernel, fetched with apt-get (download only) by scripts/fetch-linux.sh.
enum DebianKernel {
    struct Files {
        let directory: URL
        var bzImage: String { directory.appendingPathComponent("vmlinuz").path }
        var vmlinux: String { directory.appendingPathComponent("vmlinux").path }
        var package: String {
            (try? String(contentsOf: directory.appendingPathComponent("version"), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        }
    }

    /// Why the kernel cannot be had, or nil. Without apt-get (not a Debian host) the
    /// tests are skipped with this reason; with apt-get, a failed fetch fails them.
    static let unavailableReason: String? = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-get") else {
            let reason = "skipping Linux boot tests: apt-get is not available to fetch Debian's kernel"
            print(reason)
            return reason
        }
        return nil
    }()

    /// Fetched once per machine into a cache directory (`SWIFT_VMM_LINUX_DIR` overrides it).
    static let files: Result<Files, GuestRunError> = {
        let path = ProcessInfo.processInfo.environment["SWIFT_VMM_LINUX_DIR"] ?? "/tmp/swift-vmm-linux"
        let script = Environment.packageRoot.appendingPathComponent("scripts/fetch-linux.sh").path
        let result = Environment.run(["bash", script, path], timeout: 600)
        guard result.status == 0 else {
            return .failure(GuestRunError(message: "fetch-linux.sh failed (\(result.status)): \(result.stderr)"))
        }
        return .success(Files(directory: URL(fileURLWithPath: path)))
    }()
}

struct GuestRunError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A VM whose serial output is watched while it runs.
struct WatchedBoot {
    let reason: StopReason
    /// The serial output with the kernel's CR LF line ends made LF.
    let output: String
    let found: Bool
    let plan: BootPlan

    /// Boots, waits until `done(output)` holds (or `timeout` seconds pass), then stops the VM.
    static func run(_ configure: (inout MachineConfiguration) -> Void, timeout: Double,
                    until done: (String) -> Bool) throws -> WatchedBoot {
        let output = CapturedSerialOutput()
        var configuration = MachineConfiguration()
        configuration.serialOutput = output
        configure(&configuration)
        let machine = try VirtualMachine(configuration: configuration)
        try machine.start()
        let deadline = Date().addingTimeInterval(timeout)
        var found = false
        while Date() < deadline {
            if done(Self.lines(output.text)) { found = true; break }
            if machine.vcpuStates.allSatisfy({ $0 == .stopped }) { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        found = found || done(Self.lines(output.text))
        machine.requestStop(.stopRequested)
        let reason = machine.wait(timeout: 10)
        return WatchedBoot(reason: reason, output: lines(output.text), found: found, plan: machine.bootPlan)
    }

    static func lines(_ text: String) -> String { text.replacingOccurrences(of: "\r\n", with: "\n") }

    /// The last lines of output, for failure messages.
    var tail: String { output.split(separator: "\n").suffix(15).joined(separator: "\n") }
}

@Suite(.serialized, requiresKVM, .enabled(if: DebianKernel.unavailableReason == nil, "needs apt-get"))
struct LinuxKernelBootTests {
    /// A command line with a token no other run uses, so the echo cannot be stale.
    /// The `RAMDISK:` line Linux prints for an initrd at `range`: exact, or (as it
    /// reserves whole pages) rounded out to the page end.
    static func ramdiskLines(_ range: GuestRange) -> [String] {
        let pageEnd = (range.end + 4095) / 4096 * 4096 - 1
        return [range.end - 1, pageEnd].map {
            String(format: "RAMDISK: [mem 0x%08llx-0x%08llx]", range.start.rawValue, $0)
        }
    }

    static func commandLine(_ extra: String = "") -> String {
        "earlyprintk=serial,ttyS0 console=ttyS0 swiftvmm.token=\(UInt32.random(in: 1...UInt32.max))" + extra
    }

    @Test func vmlinuxPrintsItsBannerAndCommandLine() throws {
        let kernel = try DebianKernel.files.get()
        let commandLine = Self.commandLine()
        let boot = try WatchedBoot.run({ configuration in
            configuration.kernel = .file(path: kernel.vmlinux)
            configuration.bootProtocol = .linux
            configuration.memorySize = 512 << 20
            configuration.commandLine = commandLine
        }, timeout: 120) { output in
            output.contains("Linux version ") && output.contains("Command line: \(commandLine)\n")
                && output.contains("printk: bootconsole")
        }
        let found = boot.found
        #expect(found, "\(kernel.package) vmlinux did not print its banner and command line:\n\(boot.tail)")
        #expect(boot.plan.format == .linuxELF)
        #expect(boot.output.contains("Linux version 6."))
        // The E820 map the kernel read from the zero page.
        #expect(boot.output.contains("BIOS-e820: [mem 0x0000000000100000-0x000000001fffffff] usable"))
    }

    @Test func vmlinuxFindsTheInitrdAndTheCPUsOfTheMPTable() throws {
        let kernel = try DebianKernel.files.get()
        let initrd = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-initrd-\(getpid()).img")
        try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: initrd)
        defer { try? FileManager.default.removeItem(at: initrd) }
        let boot = try WatchedBoot.run({ configuration in
            configuration.kernel = .file(path: kernel.vmlinux)
            configuration.bootProtocol = .linux
            configuration.memorySize = 512 << 20
            configuration.vcpuCount = 2
            configuration.acpi = false  // With ACPI, Linux takes the CPUs from the MADT instead.
            configuration.initrdPath = initrd.path
            configuration.commandLine = Self.commandLine()
        }, timeout: 180) { output in
            output.contains("RAMDISK: ") && output.contains("smpboot: Allowing 2 CPUs")
        }
        let found = boot.found
        #expect(found, "no RAMDISK or smpboot line:\n\(boot.tail)")
        let lines = Self.ramdiskLines(try #require(boot.plan.initrd))
        #expect(lines.contains { boot.output.contains($0) }, "expected \(lines[1])")
        #expect(boot.output.contains("MPTABLE: OEM ID: SWIFTVMM"))
        #expect(boot.output.contains("Processor #1"))
    }

    /// Debian's vmlinux has the Xen PVH note (CONFIG_PVH): started at its PVH entry,
    /// it reads the command line and the memory map from hvm_start_info.
    @Test func vmlinuxThroughPVHPrintsItsBannerAndCommandLine() throws {
        let kernel = try DebianKernel.files.get()
        let commandLine = Self.commandLine()
        let boot = try WatchedBoot.run({ configuration in
            configuration.kernel = .file(path: kernel.vmlinux)
            configuration.memorySize = 512 << 20
            configuration.commandLine = commandLine
        }, timeout: 120) { output in
            output.contains("Linux version ") && output.contains("Command line: \(commandLine)\n")
                && output.contains("printk: bootconsole")
        }
        let found = boot.found
        #expect(found, "\(kernel.package) vmlinux did not print its banner and command line via PVH:\n\(boot.tail)")
        #expect(boot.plan.format == .pvh)
        #expect(boot.plan.zeroPage == nil)
        #expect(boot.output.contains("BIOS-e820: [mem 0x0000000000100000-0x000000001fffffff] usable"))
    }

    @Test func vmlinuxThroughPVHFindsItsInitrdInModuleZero() throws {
        let kernel = try DebianKernel.files.get()
        let initrd = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-pvh-initrd-\(getpid()).img")
        try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 5) }).write(to: initrd)
        defer { try? FileManager.default.removeItem(at: initrd) }
        let boot = try WatchedBoot.run({ configuration in
            configuration.kernel = .file(path: kernel.vmlinux)
            configuration.memorySize = 512 << 20
            configuration.initrdPath = initrd.path
            configuration.commandLine = Self.commandLine()
        }, timeout: 180) { output in output.contains("RAMDISK: ") }
        let found = boot.found
        #expect(found, "no RAMDISK line via PVH:\n\(boot.tail)")
        let lines = Self.ramdiskLines(try #require(boot.plan.modules.first))
        #expect(lines.contains { boot.output.contains($0) }, "expected \(lines[1])")
    }

    /// The RSDP reaches the kernel from the zero page's acpi_rsdp_addr (the 64-bit Linux
    /// boot protocol) and from hvm_start_info.rsdp_paddr (PVH, the default for this vmlinux).
    @Test(arguments: [(1, BootProtocol.linux), (4, BootProtocol.pvh)])
    func vmlinuxReadsTheACPITables(cpus: Int, bootProtocol: BootProtocol) throws {
        let kernel = try DebianKernel.files.get()
        let boot = try WatchedBoot.run({ configuration in
            configuration.kernel = .file(path: kernel.vmlinux)
            configuration.bootProtocol = bootProtocol
            configuration.memorySize = 512 << 20
            configuration.vcpuCount = cpus
            configuration.commandLine = Self.commandLine()
        }, timeout: 180) { output in
            output.contains("smpboot: Allowing \(cpus) CPUs")
        }
        let found = boot.found
        #expect(found, "no smpboot line:\n\(boot.tail)")
        #expect(boot.plan.rsdpAddress?.rawValue == 0xE0000)
        #expect(boot.plan.format == (bootProtocol == .pvh ? .pvh : .linuxELF))
        // The RSDP the boot protocol passed, then every table it leads to.
        #expect(boot.output.contains("ACPI: RSDP 0x00000000000E0000 000024 (v02 SWIFTV)"), "\(boot.output)")
        for table in ["XSDT", "FACP", "DSDT", "FACS", "APIC"] {
            #expect(boot.output.contains("ACPI: \(table) 0x00000000000E"), "no \(table) line")
        }
        #expect(boot.output.contains("BIOS-e820: [mem 0x00000000000e0000-0x00000000000effff] ACPI data"))
        #expect(boot.output.contains("ACPI: PM-Timer IO Port: 0x608"))
        #expect(boot.output.contains("IOAPIC[0]: apic_id \(cpus), version 17, address 0xfec00000, GSI 0-23"))
        #expect(boot.output.contains("ACPI: INT_SRC_OVR (bus 0 bus_irq 9 global_irq 9 high level)"))
        #expect(!boot.output.contains("MPTABLE:"), "the MP table is not used when ACPI is there")
        let lapics = boot.output.components(separatedBy: "ACPI: LAPIC (acpi_id[").count - 1
        #expect(lapics == 0 || lapics == cpus, "one local APIC per vCPU if the kernel lists them")
    }

    @Test func bzImageDecompressorReadsTheZeroPageCommandLine() throws {
        // The bzImage's own decompressor runs first. On this host it is too slow to
        // finish (KVM emulates every ring-0 instruction), but within a second or two
        // it parses the command line from the zero page and programs the UART that
        // `earlyprintk=` names. COM2 (0x2f8) has no device here, so its register
        // writes show up in the unassigned-port counters, and only if the kernel
        // really read our command line.
        let kernel = try DebianKernel.files.get()
        let output = CapturedSerialOutput()
        let machine = try VirtualMachine(configuration: {
            var configuration = MachineConfiguration()
            configuration.kernel = .file(path: kernel.bzImage)
            configuration.memorySize = 512 << 20
            configuration.commandLine = "earlyprintk=serial,ttyS1 console=ttyS1"
            configuration.serialOutput = output
            return configuration
        }())
        #expect(machine.bootPlan.format == .bzImage)
        #expect(machine.bootPlan.instructionPointer == 0x100200)
        try machine.start()
        let reason = machine.wait(timeout: 10)
        #expect(reason == .timeout(seconds: 10))
        let report = machine.report()
        #expect(report.exits(port: 0x2FB) >= 1, "the decompressor set COM2's line control")
        #expect(report.exits(port: 0x3FB) == 0, "and left COM1 alone")
    }

    @Test func badLinuxInputsAreNamed() throws {
        let kernel = try DebianKernel.files.get()
        // The kernel's cmdline_size is 2047: one byte more is refused before boot.
        let long = Environment.run([Environment.vmmBinary, "run", "--kernel", kernel.bzImage, "--memory", "512M",
                                    "--cmdline", String(repeating: "x", count: 2048)])
        #expect(long.status == 2)
        #expect(long.stderr.contains("command line is 2048 bytes; at most 2047 fit"), "\(long.stderr)")
        // 100 MB of initrd cannot fit in 128 MiB beside the kernel's decompression area.
        let initrd = FileManager.default.temporaryDirectory.appendingPathComponent("vmm-big-initrd-\(getpid())")
        #expect(FileManager.default.createFile(atPath: initrd.path, contents: nil))
        defer { try? FileManager.default.removeItem(at: initrd) }
        let handle = try FileHandle(forWritingTo: initrd)
        try handle.truncate(atOffset: 100 << 20)
        try handle.close()
        let big = Environment.run([Environment.vmmBinary, "run", "--kernel", kernel.vmlinux, "--memory", "128M",
                                   "--boot-protocol", "linux", "--initrd", initrd.path])
        #expect(big.status == 2)
        #expect(big.stderr.contains("initrd"), "\(big.stderr)")
        let missing = Environment.run([Environment.vmmBinary, "run", "--kernel", kernel.vmlinux,
                                       "--initrd", "/nonexistent/initrd.img"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("invalid --initrd: cannot read /nonexistent/initrd.img"), "\(missing.stderr)")
    }
}
