import Foundation
import Testing
import VMM

/// The ACPI tables and power management ports, seen from a guest (Guests/multiboot/acpi.c
/// and pmtimer.c).
@Suite(requiresKVM)
struct ACPIGuestTests {
    /// What acpi.elf prints for `cpus` vCPUs and no virtio device: the layout is
    /// fixed, so the addresses are exact.
    static func expectedOutput(cpus: Int) -> String {
        let madtLength = 44 + 8 * cpus + 12 + 2 * 10 + 6
        let dsdtLength = dsdtLengths[cpus] ?? 0
        let dsdt = 0xE0080
        let fadt = (dsdt + dsdtLength + 15) / 16 * 16
        let madt = (fadt + 276 + 15) / 16 * 16
        let xsdt = (madt + madtLength + 15) / 16 * 16
        let rsdt = (xsdt + 52 + 15) / 16 * 16
        func hex(_ value: Int) -> String { String(format: "%08x", value) }
        var lines = [
            "acpi: RSDP at 0x000e0000 revision 2",
            "acpi: RSDT at 0x\(hex(rsdt)) length 44",
            "acpi: XSDT at 0x\(hex(xsdt)) length 52",
            "acpi: FACP at 0x\(hex(fadt)) length 276",
            "acpi: APIC at 0x\(hex(madt)) length \(madtLength)",
            "acpi: DSDT at 0x\(hex(dsdt)) length \(dsdtLength)",
            "acpi: FACS",
            "madt: local apic 0xfee00000 flags 1",
        ]
        lines += (0..<cpus).map { "madt: cpu uid \($0) apic \($0) flags 1" }
        lines += [
            "madt: ioapic id \(cpus) address 0xfec00000 gsi base 0",
            "madt: override irq 0 gsi 0 flags 0",
            "madt: override irq 9 gsi 9 flags 13",
            "madt: nmi uid 255 lint 1",
            "mmap: acpi 0x000e0000 length 0x00010000",
            "fadt: sci 9 pm1a_cnt 0x00000604 pm_tmr 0x00000608 s5 5",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The DSDT's length: the header, the `\_SB` scope (opcode, two-byte PkgLength,
    /// the name), COM1 (45 bytes), `_S5` (14), and one processor device per vCPU
    /// (28 bytes, 29 from `_UID` 2 on, which needs a BytePrefix).
    static let dsdtLengths: [Int: Int] = {
        var lengths: [Int: Int] = [:]
        for cpus in [1, 2, 4] { lengths[cpus] = 36 + 1 + 2 + 5 + 45 + 14 + (0..<cpus).map { $0 < 2 ? 28 : 29 }.reduce(0, +) }
        return lengths
    }()

    @Test(arguments: [1, 2, 4])
    func guestFindsAndChecksEveryTable(cpus: Int) throws {
        let run = try GuestRun.boot(guest: "acpi.elf") { $0.vcpuCount = cpus }
        #expect(run.output == Self.expectedOutput(cpus: cpus), "\(run.output)")
        #expect(run.reason == .debugExit(status: 1), "V = 0: every check held")
    }

    @Test func shutdownThroughPM1ControlPowersOff() throws {
        let run = try GuestRun.boot(guest: "acpi.elf", commandLine: "acpi=shutdown")
        #expect(run.output.hasSuffix("acpi: powering off\n"), "\(run.output)")
        #expect(run.reason == .powerOff(vcpu: 0))
        #expect(run.exitStatus == 0)
        #expect(run.report.exits(port: 0x604) == 2)
    }

    @Test func resetRegisterResets() throws {
        let run = try GuestRun.boot(guest: "acpi.elf", commandLine: "acpi=reset")
        #expect(run.output.hasSuffix("acpi: resetting\n"), "\(run.output)")
        #expect(run.reason == .reset(vcpu: 0))
        #expect(run.exitStatus == 0)
    }

    @Test func resetRestartsWithOnResetRestart() throws {
        let guest = try Environment.guest("acpi.elf")
        let result = Environment.run([Environment.vmmBinary, "run", "--kernel", guest, "--cmdline", "acpi=reset",
                                      "--on-reset", "restart", "--timeout", "4"])
        let boots = result.stdout.components(separatedBy: "acpi: resetting\n").count - 1
        #expect(boots >= 2, "the guest booted again after its ACPI reset: \(result.stdout)")
        #expect(result.stderr.contains("restarting (--on-reset restart), boot 2"), "\(result.stderr)")
    }

    @Test func noACPILeavesTablesAndPortsOut() throws {
        let run = try GuestRun.boot(guest: "acpi.elf") { $0.acpi = false }
        #expect(run.output == "acpi: no RSDP\n")
        #expect(run.reason == .debugExit(status: 3))
        let guest = try Environment.guest("acpi.elf")
        let cli = Environment.run([Environment.vmmBinary, "run", "--kernel", guest, "--no-acpi"])
        #expect(cli.stdout == "acpi: no RSDP\n" && cli.status == 3, "\(cli.stdout)\(cli.stderr)")
    }

    @Test func pmTimerRunsAt3579545HzAgainstTheTSC() throws {
        let output = CapturedSerialOutput()
        var configuration = MachineConfiguration()
        configuration.memorySize = 64 << 20
        configuration.serialOutput = output
        configuration.kernel = .file(path: try Environment.guest("pmtimer.elf"))
        configuration.commandLine = "ticks=715909"  // 0.2 s
        let machine = try VirtualMachine(configuration: configuration)
        let tscKHz = try machine.guestTSCKHz()
        try machine.start()
        let reason = machine.wait(timeout: 30)
        #expect(reason == .debugExit(status: 1), "\(output.text)")
        let fields = output.text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        func value(after key: String) -> Double? {
            fields.firstIndex(of: Substring(key)).flatMap { fields.index(after: $0) < fields.endIndex
                ? Double(fields[fields.index(after: $0)]) : nil }
        }
        let ticks = try #require(value(after: "ticks"), "\(output.text)")
        let cycles = try #require(value(after: "tsc"))
        let reads = try #require(value(after: "reads"))
        #expect(value(after: "high") == 0, "bits 24-31 always 0")
        #expect(ticks >= 715_909)
        let seconds = cycles / (Double(tscKHz) * 1000)
        let rate = ticks / seconds
        print("pmtimer: \(Int(ticks)) ticks in \(Int(cycles)) TSC cycles at \(tscKHz) kHz = \(String(format: "%.6f", seconds)) s"
              + " -> \(String(format: "%.0f", rate)) Hz (\(Int(reads)) reads, \(String(format: "%.1f", seconds / reads * 1e6)) µs each)")
        #expect(abs(rate - 3_579_545) / 3_579_545 < 0.02, "PM timer rate \(rate) Hz")
    }
}
