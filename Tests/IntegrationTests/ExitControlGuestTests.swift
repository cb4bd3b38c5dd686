import Testing
import VMM

/// `--halt` modes and `--coalesced` zones from the configuration.
@Suite(requiresKVM) struct ExitControlGuestTests {
    @Test(arguments: [HaltMode.inKernel, .poll(nanoseconds: 2_000_000), .guest])
    func timerGuestWorksInEveryHaltMode(mode: HaltMode) throws {
        let run = try GuestRun.boot(guest: "pit_pic.elf") { $0.halt = mode }
        #expect(run.output == "pit-pic: 10 ticks\n")
        #expect(run.reason == .debugExit(status: 1))
        // HLT never reaches user space: with the in-kernel LAPIC, KVM handles it.
        #expect(run.exits(.halt) == 0)
    }

    @Test func pauseExitsCanBeTurnedOff() throws {
        let run = try GuestRun.boot(guest: "hello.elf") { $0.pauseExits = false }
        #expect(run.output == "Hello from a multiboot guest\n")
    }

    @Test func aConfiguredCoalescedPortTakesTheLoopsWrites() throws {
        let plain = try GuestRun.boot(guest: "ioloop.elf", commandLine: "n=1000")
        #expect(plain.report.exits(port: 0x10) == 1000)
        let zone = try CoalescedZone.parse("pio:0x10:1")
        let run = try GuestRun.boot(guest: "ioloop.elf", commandLine: "n=1000") { $0.coalescedZones = [zone] }
        #expect(run.output == "ioloop done 1000\n")
        let exits = run.report.exits(port: 0x10)
        let queued = run.report.vcpus.flatMap(\.coalescedWrites).first { $0.address == 0x10 }?.count ?? 0
        // Every write arrives once, through the ring or (ring full) an exit.
        #expect(exits + queued == 1000)
        #expect(exits < 1000 / 50, "\(exits) exits")
    }
}
