import KVM
import Testing
import VMM
@testable import Lab

/// Each experiment on a small N: its counts must be exact (timings are reported, never asserted).
@Suite(.serialized) struct LabExperimentTests {
    static let kvmAvailable: Bool = (try? KVMSystem()) != nil
    static let host: Result<LabHost, LabError> = Result { () throws(LabError) in try LabHost.probe() }

    func context(n: Int) throws -> LabContext {
        LabContext(host: try Self.host.get(), n: n, repetitions: 1)
    }

    @Test(.enabled(if: kvmAvailable)) func hostDescriptionMatchesProc() throws {
        let host = try Self.host.get()
        let cpuinfo = readTextFile("/proc/cpuinfo") ?? ""
        #expect(host.hypervisorFlag == cpuinfo.contains(" hypervisor"))
        #expect(host.kvmAPIVersion == 12)
        #expect(host.guestTSCKHz > 0)
        #expect(host.lines.count == 4)
        #expect(host.lines[1].contains(host.nested ? "nested" : "not nested"))
    }

    @Test(.enabled(if: kvmAvailable)) func exitCostCountsEveryExit() throws {
        let n = 50
        let result = try ExitCost().run(context(n: n))
        // Exits to user space, beyond a run with n = 0: exactly n for the trapped ones.
        #expect(result.counts["portOut.userExits"] == UInt64(n))
        #expect(result.counts["mmioWrite.userExits"] == UInt64(n))
        #expect(result.counts["portIn.userExits"] == UInt64(n))
        // Handled inside KVM or never leaving the guest: none.
        for key in ["native", "rdtsc", "cpuid", "vmcall"] {
            #expect(result.counts["\(key).userExits"] == 0, "\(key)")
        }
        #expect(result.counts["native.iterations"] == 1_000_000)
        #expect(result.rows.count == 2 * ExitCost.variants.count + 1)
        #expect(result.figures["portOut.cyclesPerOperation"].map { $0 > 0 } == true)
    }

    @Test(.enabled(if: kvmAvailable)) func msrBitmapTrapsExactlyTheFilteredWrites() throws {
        let n = 60
        let result = try MSRBitmap().run(context(n: n))
        let c = result.counts
        // Filtered: every WRMSR and the one RDMSR reach the VMM, nothing else does.
        #expect(c["filtered.msrWriteExits"] == UInt64(n))
        #expect(c["filtered.msrReadExits"] == 1)
        #expect(c["filtered.userExits"] == UInt64(n) + 1)
        // Passed through: KVM handles them all.
        #expect(c["passed.msrWriteExits"] == 0)
        #expect(c["passed.msrReadExits"] == 0)
        #expect(c["passed.userExits"] == 0)
        // The loop writes n, n-1, ..., 1: both paths read back the last value.
        #expect(c["filtered.readBack"] == 1)
        #expect(c["passed.readBack"] == 1)
        #expect(c["filtered.cpl"] == 0)
        #expect(result.figures["filtered.cyclesPerWrite"].map { $0 > 0 } == true)
    }

    @Test(.enabled(if: kvmAvailable)) func haltTakesEveryTickInEveryMode() throws {
        let n = 20
        let result = try Halt().run(context(n: n))
        let c = result.counts
        for key in ["inKernel", "poll", "guest"] {
            // The guest woke for each of its n timer ticks, halting once per tick.
            #expect(c["\(key).ticks"] == UInt64(n), "\(key)")
            #expect(c["\(key).halts"] == UInt64(n), "\(key)")
            // KVM handles HLT (in-kernel LAPIC): no HLT exit reaches the VMM.
            #expect(c["\(key).hltUserExits"] == 0, "\(key)")
            #expect(c["\(key).cpl"] == 0, "\(key)")
            #expect(result.figures["\(key).cpuPerIdleSecond"].map { $0 >= 0 } == true, "\(key)")
        }
    }

    @Test(.enabled(if: kvmAvailable)) func cpuidLieChangesTheGuestsPathOnlyWhenItIsSeen() throws {
        let n = 30
        let result = try CPUIDLie().run(context(n: n))
        let c = result.counts
        // The policy's own table: FPU shown, hidden, shown.
        #expect(c["host.policyFPU"] == 1)
        #expect(c["hidden.policyFPU"] == 0)
        #expect(c["forced.policyFPU"] == 1)
        // The guest follows what it reads: n #NM on the no-FPU path, none on the FPU path.
        // (On this host kvm_pvm shows the hardware's FPU bit whatever the policy says.)
        for key in ["host", "hidden"] {
            let sees = c["\(key).guestFPU"]
            #expect(c["\(key).nmTraps"] == (sees == 0 ? UInt64(n) : 0), "\(key) sees FPU = \(String(describing: sees))")
        }
        #expect(c["host.guestFPU"] == 1)
        // Forced: every fninit raises #NM, whatever CPUID says.
        #expect(c["forced.nmTraps"] == UInt64(n))
        #expect(c["forced.cpl"] == 0)
    }

    @Test(.enabled(if: kvmAvailable)) func mmioBatchingCountsEachDelivery() throws {
        let n = 1000
        let result = try MMIOBatching().run(context(n: n))
        let c = result.counts
        #expect(c["trapped.userExits"] == UInt64(n))
        #expect(c["trapped.pageExits"] == UInt64(n))
        #expect(c["trapped.deviceWrites"] == UInt64(n))
        // Coalesced: every write reaches the device, one exit per full ring at most.
        #expect(c["coalesced.deviceWrites"] == UInt64(n))
        #expect((c["coalesced.pageExits"] ?? .max) <= UInt64(n / 100))
        #expect((c["coalesced.userExits"] ?? .max) <= UInt64(n / 100))
        // ioeventfd: no exit to user space, one eventfd signal per write, nothing on the bus.
        #expect(c["ioeventfd.userExits"] == 0)
        #expect(c["ioeventfd.pageExits"] == 0)
        #expect(c["ioeventfd.eventSignals"] == UInt64(n))
        #expect(c["ioeventfd.deviceWrites"] == 0)
        // Shared page: plain RAM, no exit; the poller saw the last write.
        #expect(c["shared.userExits"] == 0)
        #expect(c["shared.sawLastWrite"] == 1)
    }

    @Test(.enabled(if: kvmAvailable)) func hypercallPortIsAnsweredEveryTime() throws {
        let n = 40
        let result = try Hypercall().run(context(n: n))
        #expect(result.counts["port.userExits"] == UInt64(n))
        #expect(result.counts["port.deviceReads"] == UInt64(n))
        #expect(result.counts["port.answerSum"] == UInt64(n) * LabMachine.hypercallAnswer)
        #expect(result.counts["syscall.userExits"] == 0)
        #expect(result.counts["vmcall.userExits"] == 0)
        // KVM refuses a hypercall from CPL 3 with -KVM_EPERM.
        #expect(result.counts["vmcall.lastRAX"] == UInt64.max)
    }

    @Test(.enabled(if: kvmAvailable)) func hugePagesChangesOnlyTheBacking() throws {
        let result = try HugePages().run(context(n: 10_000))
        // The chase itself never exits: only the final debug exit reaches user space.
        #expect(result.counts["small.userExits"] == 1)
        #expect(result.counts["huge.userExits"] == 1)
        let host = try Self.host.get()
        if host.transparentHugePages == "madvise" || host.transparentHugePages == "never" {
            #expect(result.counts["small.hostHugePageBytes"] == 0, "no madvise, no THP")
        }
        if host.transparentHugePages == "never" { #expect(result.counts["huge.hostHugePageBytes"] == 0) }
        #expect(result.figures["speedup"].map { $0 > 0 } == true)
    }

    @Test(.enabled(if: kvmAvailable)) func pageWalkReadsTheGuestsOwnTables() throws {
        let result = try PageWalk().run(context(n: 1))
        let c = result.counts
        #expect(c["cr3"] == LabGuestImage.pml4Address)
        // The guest maps its first 2 MiB with 4 KiB pages (4 levels), RAM above with 2 MiB pages (3).
        #expect(c["rip.guestLevels"] == 4)
        #expect(c["rsp.guestLevels"] == 4)
        #expect(c["buffer.guestLevels"] == 3)
        for key in ["rip", "rsp", "buffer"] {
            #expect(c["\(key).kvmAgrees"] == 1, "our walk and KVM_TRANSLATE disagree for \(key)")
            let references = c["\(key).references2D"] ?? 0
            let levels = c["\(key).guestLevels"] ?? 0
            // Between all-huge and all-small host pages: g*4+3 ... g*5+4.
            #expect(references >= levels * 4 + 3 && references <= levels * 5 + 4, "\(key): \(references)")
        }
        #expect(result.sections.count == 3)
        #expect(result.sections[0].lines.contains { $0.hasPrefix("PT[") && $0.contains("4 KiB page") })
        #expect(result.sections[2].lines.contains { $0.hasPrefix("PD[32]") && $0.contains("PS") })
    }

    @Test(.enabled(if: kvmAvailable)) func guestRefusesToRunWithoutParameters() throws {
        var configuration = MachineConfiguration()
        configuration.kernel = .bytes(LabGuest.image, name: "lab.elf")
        configuration.memorySize = 64 << 20
        configuration.serialOutput = CapturedSerialOutput()
        let machine = try VirtualMachine(configuration: configuration)
        try machine.start()
        machine.wait(timeout: 30)
        #expect(LabGuest.results(in: machine.memory)?.status == LabGuestImage.statusNoParams)
    }
}

/// The probe windows the experiments rely on, at the VMM level.
@Suite struct ProbeWindowTests {
    @Test func invalidWindowsAreRefusedWithAReason() {
        let cases: [(ProbeWindow, String)] = [
            (ProbeWindow(name: "a", space: .port, base: 0xFFFF, size: 2), "ports end at 0xffff"),
            (ProbeWindow(name: "b", space: .mmio, base: 0x1000, size: 0), "empty or wrapping"),
            (ProbeWindow(name: "c", space: .mmio, base: .max - 1, size: 4), "empty or wrapping"),
            (ProbeWindow(name: "d", space: .mmio, base: 0xE000_0000, size: 8, delivery: .ioeventfd,
                         ioeventfdLength: 3), "ioeventfd length 3"),
        ]
        for (window, reason) in cases {
            do {
                try window.validate()
                Issue.record("\(window.name) was accepted")
            } catch {
                #expect(error.description.contains(reason), "\(error)")
            }
        }
        #expect((try? ProbeWindow(name: "ok", space: .port, base: 0x510, size: 1).validate()) != nil)
    }

    @Test(.enabled(if: LabExperimentTests.kvmAvailable)) func windowsMayNotOverlapRAMOrDevices() {
        func build(_ window: ProbeWindow) -> String {
            var configuration = MachineConfiguration()
            configuration.memorySize = 64 << 20
            configuration.probes = [window]
            configuration.serialOutput = CapturedSerialOutput()
            do {
                _ = try VirtualMachine(configuration: configuration)
                return "built"
            } catch {
                return error.description
            }
        }
        #expect(build(ProbeWindow(name: "ram", space: .mmio, base: 0x10_0000, size: 0x1000)).contains("overlaps guest RAM"))
        #expect(build(ProbeWindow(name: "on-serial", space: .port, base: 0x3F8, size: 1)).contains("overlaps serial"))
        #expect(build(ProbeWindow(name: "free", space: .mmio, base: 0xE000_0000, size: 0x1000, delivery: .coalesced))
            == "built")
    }
}
