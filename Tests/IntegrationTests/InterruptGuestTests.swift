import Foundation
import Testing
import VMM

#if canImport(Glibc)
import Glibc
#endif

/// The interrupt, timer, SMP and reset guests (Guests/README.md) under swift-vmm.
///
/// The PIC, I/O APIC, local APICs and PIT are KVM's in-kernel models, so none of
/// their register accesses reach user space: the only exits a guest makes are its
/// serial bytes (one `in` and one `out` each) and the final debug-exit write.
/// Exits of kind `interrupted` are the halt monitor's kicks and are not counted here.
@Suite(requiresKVM) struct InterruptGuestTests {
    private func expectOnlySerialExits(_ run: GuestRun, sourceLocation: SourceLocation = #_sourceLocation) {
        let bytes = UInt64(run.output.utf8.count)
        #expect(run.exits(.ioIn) == bytes, sourceLocation: sourceLocation)
        #expect(run.exits(.ioOut) == bytes + 1, sourceLocation: sourceLocation)
        #expect(run.exits(.mmioRead) + run.exits(.mmioWrite) == 0, sourceLocation: sourceLocation)
        for port: UInt16 in [0x20, 0x21, 0xA0, 0xA1, 0x40, 0x43, 0x61] {
            #expect(run.report.exits(port: port) == 0, "port 0x\(String(port, radix: 16)) stays in KVM",
                    sourceLocation: sourceLocation)
        }
    }

    @Test func pitTicksThroughThePIC() throws {
        let run = try GuestRun.boot(guest: "pit_pic.elf")
        #expect(run.output == "pit-pic: 10 ticks\n")
        #expect(run.reason == .debugExit(status: 1))
        expectOnlySerialExits(run)
        // KVM injected the timer interrupts and woke the guest from its HLTs: ten, or
        // one more when the PIT fires again while the guest is still printing.
        #expect((10...11).contains(run.report.kvmCounter("irq_injections") ?? 0))
        #expect((10...11).contains(run.report.kvmCounter("halt_exits") ?? 0))
    }

    @Test func pitTicksThroughTheIOAPIC() throws {
        let run = try GuestRun.boot(guest: "pit_ioapic.elf")
        // Pin 0: the MP table says ISA IRQ 0 is I/O APIC pin 0, as KVM's routing is.
        #expect(run.output == "pit-ioapic: routing from MP table\npit-ioapic: pin 0\npit-ioapic: 10 ticks\n")
        #expect(run.reason == .debugExit(status: 1))
        expectOnlySerialExits(run)
        #expect((10...11).contains(run.report.kvmCounter("irq_injections") ?? 0))
    }

    @Test(arguments: ["", "irq=ioapic"])
    func serialReceiveInterrupt(commandLine: String) throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let message = Array("hello\n".utf8)
        #expect(write(fds[1], message, message.count) == message.count)
        close(fds[1])
        let run = try GuestRun.boot(guest: "serial_rx.elf", commandLine: commandLine) {
            $0.serialInput = .descriptor(fds[0])
        }
        let route = commandLine.isEmpty ? "IRQ 4 through the PIC" : "IRQ 4 through IOAPIC pin 4 (MP table)"
        let lines = run.output.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.prefix(3) == ["serial-rx: \(route)", "serial-rx: ready", "serial-rx: got \"hello\""])
        // How many interrupts carry six bytes depends on timing (1 to 6).
        let count = lines.count > 3 ? lines[3] : ""
        #expect(count.hasPrefix("serial-rx: ") && count.hasSuffix(" interrupts"), "got \(count)")
        #expect(run.reason == .debugExit(status: 1))
    }

    @Test(arguments: [1, 2, 4])
    func applicationProcessorsStartAndReport(cpus: Int) throws {
        let run = try GuestRun.boot(guest: "smp.elf") { $0.vcpuCount = cpus }
        var expected = "smp: cpus from MP table\nsmp: bsp apic id 0\n"
        for id in 1..<max(cpus, 1) { expected += "smp: ap lapic id \(id), cpuid apic id \(id), x2apic id \(id)\n" }
        for id in 0..<cpus { expected += "cpu \(id) up\n" }
        expected += "smp: \(cpus) cpus\n"
        #expect(run.output == expected)
        #expect(run.reason == .debugExit(status: 1))
        #expect(run.report.vcpus.count == cpus)
    }

    /// Test suites often put the AP trampoline at 0 (STARTUP vector 0x00) or 0x1000:
    /// [0, 0x9FC00) is RAM, so the APs start there too, and each reports its own
    /// APIC ID in CPUID leaves 1 and 0xB.
    @Test(arguments: [(0, 2), (0, 4), (4096, 2)])
    func trampolineInLowMemory(address: Int, cpus: Int) throws {
        let run = try GuestRun.boot(guest: "smp.elf", commandLine: "trampoline=\(address)") { $0.vcpuCount = cpus }
        var expected = "smp: cpus from MP table\n" + String(format: "smp: trampoline %08x\n", address)
            + "smp: bsp apic id 0\n"
        for id in 1..<cpus { expected += "smp: ap lapic id \(id), cpuid apic id \(id), x2apic id \(id)\n" }
        for id in 0..<cpus { expected += "cpu \(id) up\n" }
        expected += "smp: \(cpus) cpus\n"
        #expect(run.output == expected)
        #expect(run.reason == .debugExit(status: 1))
    }

    @Test func haltWithInterruptsOffEndsTheVM() throws {
        let run = try GuestRun.boot(guest: "halt_cli.elf") { $0.vcpuCount = 2 }
        #expect(run.output == "halt-cli: halting with interrupts disabled\n")
        #expect(run.reason == .halted(vcpu: 0))
        #expect(run.exitStatus == 0)
    }

    @Test func keyboardControllerResetEndsTheVM() throws {
        let run = try GuestRun.boot(guest: "kbd_reset.elf")
        #expect(run.output == "kbd-reset: resetting through the keyboard controller\n")
        #expect(run.reason == .reset(vcpu: 0))
        #expect(run.exitStatus == 0)
        #expect(run.report.exits(port: 0x64) >= 1)
    }

    @Test func resetRestartsWhenConfigured() throws {
        let guest = try Environment.guest("kbd_reset.elf")
        let result = Environment.run([Environment.vmmBinary, "run", "--kernel", guest, "--on-reset", "restart",
                                      "--timeout", "3"])
        let line = "kbd-reset: resetting through the keyboard controller\n"
        let boots = result.stdout.components(separatedBy: line).count - 1
        #expect(boots >= 2, "the guest booted again after its reset: \(result.stdout)")
        #expect(result.stderr.contains("restarting (--on-reset restart), boot 2"))
        #expect(result.status == 124)
    }
}
