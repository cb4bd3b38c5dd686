import Foundation
import Loader
import Testing
import VMM

/// Each test guest under swift-vmm: serial output, stop reason and exit counts, exactly.
/// The expected counts follow Guests/README.md: a guest printing B bytes through
/// the polled UART and leaving through port 0xf4 makes B `in` and B + 1 `out` exits.
@Suite(requiresKVM) struct GuestTests {
    /// Checks a guest that prints `text` and exits through the debug port with V.
    private func expectPrinted(_ run: GuestRun, _ text: String, value: Int32 = 0,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let bytes = UInt64(text.utf8.count)
        #expect(run.output == text, sourceLocation: sourceLocation)
        #expect(run.reason == .debugExit(status: (value << 1) | 1), sourceLocation: sourceLocation)
        #expect(run.exits(.ioIn) == bytes, sourceLocation: sourceLocation)
        #expect(run.exits(.ioOut) == bytes + 1, sourceLocation: sourceLocation)
        #expect(run.report.exits(port: 0x3F8) == bytes, sourceLocation: sourceLocation)
        #expect(run.report.exits(port: 0x3FD) == bytes, sourceLocation: sourceLocation)
        #expect(run.report.exits(port: 0xF4) == 1, sourceLocation: sourceLocation)
    }

    @Test func hello() throws {
        let run = try GuestRun.boot(guest: "hello.elf")
        expectPrinted(run, "Hello from a multiboot guest\n")
        #expect(run.exitStatus == 1)
        #expect(run.plan.bootPlan.format == .multiboot)
        #expect(run.report.totalExits == 29 + 30)
    }

    @Test(arguments: [(nil, 42), ("code=7", 7), ("code=0", 0), ("code=127", 127), ("code=abc", 127)] as [(String?, Int32)])
    func exitCode(commandLine: String?, value: Int32) throws {
        let run = try GuestRun.boot(guest: "exitcode.elf", commandLine: commandLine ?? "")
        let text = commandLine == "code=abc" ? "exit code: invalid code= value\n" : "exit code \(value)\n"
        expectPrinted(run, text, value: value)
        #expect(run.exitStatus == (value << 1) | 1)
    }

    @Test func protectedModeSeesMultibootInfo() throws {
        let path = try Environment.guest("protected.elf")
        let run = try GuestRun.boot(guest: "protected.elf", commandLine: "a b")
        let text = "protected mode ok\ncmdline: \(path) a b\nmem_lower=639 mem_upper=64512\nram=65151 KiB\n"
        expectPrinted(run, text)
        #expect(run.plan.bootPlan.mode == .protected)
    }

    @Test func longModeAtCPL0() throws {
        expectPrinted(try GuestRun.boot(guest: "long.elf"), "long mode, CPL 0\n")
    }

    @Test func longModeAtCPL3() throws {
        let run = try GuestRun.boot(guest: "user.elf")
        expectPrinted(run, "long mode, CPL 0\nsum 1..1000000 = 500000500000\nlong mode, CPL 3\n")
    }

    @Test func unassignedMMIOReadsAllOnes() throws {
        let run = try GuestRun.boot(guest: "mmio.elf")
        let text = ["0xc0000000", "0xd0000000", "0xe0000000"].map { "mmio \($0) = 0xffffffff\n" }.joined()
        expectPrinted(run, text)
        #expect(run.exits(.mmioRead) == 3)
        #expect(run.exits(.mmioWrite) == 3)
        let unassigned = run.report.vcpus[0].unassignedMMIO
        #expect(unassigned.map(\.address).sorted() == [0xC000_0000, 0xD000_0000, 0xE000_0000])
        #expect(unassigned.allSatisfy { $0.count == 2 }, "one read and one write each")
    }

    @Test func tripleFaultEndsTheVM() throws {
        let run = try GuestRun.boot(guest: "triple.elf")
        #expect(run.output == "about to triple fault\n")
        #expect(run.reason == .tripleFault(vcpu: 0))
        #expect(run.exitStatus == 4)
        #expect(run.exits(.shutdown) == 1)
        #expect(run.exits(.ioOut) == 22, "no debug exit")
    }

    @Test func instructionKVMCannotEmulate() throws {
        let path = try Environment.guest("badinsn.elf")
        let symbols = Environment.run(["nm", path]).stdout
        let line = try #require(symbols.split(separator: "\n").first { $0.hasSuffix(" bad_instruction") })
        let address = try #require(UInt64(line.split(separator: " ")[0], radix: 16))
        let run = try GuestRun.boot(guest: "badinsn.elf")
        #expect(run.output.hasPrefix("executing an instruction KVM cannot emulate\n"))
        switch run.reason {
        case .internalError(_, let suberror, let rip, let instruction, _):
            // Hosts whose KVM emulates ring 0 (like the development host) stop here.
            #expect(suberror == 1)
            #expect(rip == address)
            #expect(Array(instruction.prefix(4)) == [0xF3, 0x0F, 0xB8, 0xC0], "popcnt %eax, %eax")
            #expect(run.exitStatus == 6)
            #expect(run.reason.summary.contains("RIP 0x\(String(address, radix: 16))"))
            #expect(run.reason.summary.contains("f3 0f b8 c0"))
        case .debugExit(let status):
            // With hardware virtualization POPCNT simply runs.
            #expect(status == 7)
            #expect(run.output.hasSuffix("the instruction was executed\n"))
        default:
            Issue.record("unexpected stop: \(run.reason.summary)")
        }
    }

    @Test(arguments: [0, 1, 5000])
    func portIOLoopCountsEveryExit(iterations: Int) throws {
        let run = try GuestRun.boot(guest: "ioloop.elf", commandLine: "n=\(iterations)")
        let text = "ioloop done \(iterations)\n"
        #expect(run.output == text)
        #expect(run.reason == .debugExit(status: 1))
        #expect(run.report.exits(port: 0x10) == UInt64(iterations))
        let unassigned = run.report.vcpus[0].unassignedPorts
        #expect(unassigned.first { $0.address == 0x10 }?.count == (iterations > 0 ? UInt64(iterations) : nil))
        #expect(run.exits(.ioOut) == UInt64(text.utf8.count + 1 + iterations))
        #expect(run.exits(.ioIn) == UInt64(text.utf8.count))
        let ioOut = try #require(run.report.totals.first { $0.reason == "io-out" })
        #expect(ioOut.count == run.exits(.ioOut))
        #expect(ioOut.maxNanoseconds >= ioOut.p50Nanoseconds && ioOut.p50Nanoseconds >= ioOut.minNanoseconds)
    }

    @Test func realModeFlatBinary() throws {
        let run = try GuestRun.boot(guest: "real.bin") {
            $0.flat = .init(address: .init(0x7C00), mode: .real)
        }
        expectPrinted(run, "real mode\n")
        #expect(run.plan.bootPlan.mode == .real)
    }

    @Test(arguments: [
        ("elf32.elf", nil, "elf32 protected mode\n"),
        ("elf64.elf", nil, "elf64 long mode\n"),
        ("flat32.bin", "protected", "flat protected mode\n"),
        ("flat64.bin", "long", "flat long mode\n"),
    ] as [(String, String?, String)])
    func plainImages(name: String, flatMode: String?, text: String) throws {
        let run = try GuestRun.boot(guest: name) { configuration in
            if let flatMode, let mode = CPUMode(rawValue: flatMode) {
                configuration.flat = .init(address: .init(0x10_0000), mode: mode)
            }
        }
        expectPrinted(run, text)
    }

    @Test func strictIOStopsOnTheFirstUnassignedAccess() throws {
        let run = try GuestRun.boot(guest: "ioloop.elf", commandLine: "n=100") { $0.strictIO = true }
        #expect(run.reason == .unassignedAccess(vcpu: 0, detail: "write to unassigned port 0x10"))
        #expect(run.exitStatus == 8)
        #expect(run.report.exits(port: 0x10) == 1)
        #expect(run.output.isEmpty)
    }

    @Test func demoGuest() throws {
        let run = try GuestRun.boot { $0.kernel = .demo }
        #expect(run.output.hasPrefix("Hello from the swift-vmm demo guest!\nCPU vendor: "))
        #expect(run.output.hasSuffix("MMIO read: 0xffffffff\nGoodbye.\n"))
        #expect(run.reason == .halted(vcpu: 0))
        let bytes = UInt64(run.output.utf8.count)
        #expect(run.exits(.ioIn) == bytes)
        #expect(run.exits(.ioOut) == bytes)
        #expect(run.exits(.mmioRead) == 1)
        #expect(run.exits(.mmioWrite) == 1)
        // With the in-kernel local APIC, KVM handles the final HLT itself: no exit
        // reaches user space, and KVM's own counter shows the one HLT.
        #expect(run.exits(.halt) == 0)
        #expect(run.report.kvmCounter("halt_exits") == 1)
    }
}
