#if canImport(Glibc)
import Glibc
#endif
import Memory
import VMM

/// halt: an idle guest (HLT, woken by a 1 ms timer tick) under each `--halt` mode,
/// and the host CPU time the VM's threads burn per idle second.
public struct Halt: LabExperiment {
    public init() {}
    public let name = "halt"
    public let summary = "an idle guest (HLT, 1 ms tick) halting in KVM, busy-polling, or in the guest: host CPU per idle s"
    /// Ticks: 1,000 ticks of 1 ms = one idle second per mode.
    public let defaultN = 1000

    /// The guest's timer period: a 1000 Hz tick, as an idle Linux with HZ=1000.
    public static let tickNanoseconds: UInt64 = 1_000_000
    /// The busy-poll window of the poll variant: longer than a tick, so every wake-up
    /// falls inside it (the worst case for the host, the best for latency).
    public static let pollNanoseconds: UInt64 = 2_000_000

    static let modes: [HaltMode] = [.inKernel, .poll(nanoseconds: pollNanoseconds), .guest]

    static func key(_ mode: HaltMode) -> String {
        switch mode {
        case .inKernel: return "inKernel"
        case .poll: return "poll"
        case .guest: return "guest"
        }
    }

    /// CPU time of the whole process minus the calling thread's (which only waits).
    static func othersCPUNanoseconds() -> UInt64 {
        var process = timespec(), thread = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &process)
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &thread)
        let p = UInt64(process.tv_sec) * 1_000_000_000 + UInt64(process.tv_nsec)
        let t = UInt64(thread.tv_sec) * 1_000_000_000 + UInt64(thread.tv_nsec)
        return p &- min(t, p)
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// What the host measured around the guest's idle window.
    final class Window: @unchecked Sendable {
        var cpuNanoseconds: UInt64 = 0
        var wallNanoseconds: UInt64 = 0
    }

    struct Measured: Sendable {
        var run: LabGuestRun
        var cpuNanoseconds: UInt64
        var wallNanoseconds: UInt64
        var cpuPerIdleSecond: Double { wallNanoseconds == 0 ? .nan : Double(cpuNanoseconds) / Double(wallNanoseconds) }
    }

    /// Runs the idle guest: from the moment it reports RUNNING (timer armed) until its
    /// results appear, the CPU time of every thread but this one and the wall time.
    static func measure(_ mode: HaltMode, ticks: Int) throws(LabError) -> Measured {
        var request = LabMachine.request(.halt, n: ticks)
        request.size = tickNanoseconds
        request.halt = mode
        let window = Window()
        let run = try LabGuest.run(request) { (machine) throws(LabError) in
            func status() -> UInt64? {
                try? machine.memory.load(UInt64.self, at: GuestAddress(LabGuestImage.resultsAddress + 8))
            }
            func stopped() -> Bool { !machine.vcpuStates.contains { $0 != .stopped } }
            // The guest sets RUNNING once its timer is armed, DONE after n ticks.
            while status() != LabGuestImage.statusRunning && status() != LabGuestImage.statusDone && !stopped() {
                usleep(200)
            }
            let cpu0 = othersCPUNanoseconds(), wall0 = monotonicNanoseconds()
            while status() == LabGuestImage.statusRunning && !stopped() { usleep(2000) }
            window.cpuNanoseconds = othersCPUNanoseconds() &- cpu0
            window.wallNanoseconds = monotonicNanoseconds() &- wall0
        }
        return Measured(run: run, cpuNanoseconds: window.cpuNanoseconds, wallNanoseconds: window.wallNanoseconds)
    }

    public func run(_ lab: LabContext) throws(LabError) -> LabResult {
        let n = lab.n
        var runs = Array(repeating: [Measured](), count: Self.modes.count)
        for round in 0..<max(lab.repetitions, 1) {
            let order = round % 2 == 0 ? Array(Self.modes.indices) : Array(Self.modes.indices.reversed())
            for index in order { runs[index].append(try Self.measure(Self.modes[index], ticks: n)) }
        }
        let hostPoll = readTextFile("/sys/module/kvm/parameters/halt_poll_ns").flatMap {
            UInt64($0.split(separator: "\n").first.map(String.init) ?? "")
        }
        var result = LabResult(
            name: name,
            question: "What does an idle guest cost the host? The guest arms a 1 ms periodic LAPIC timer and "
                + "halts (sti; hlt) until \(LabFormat.grouped(UInt64(n))) ticks have passed; the VMM measures the CPU "
                + "time of its threads (the vCPU's included) per wall second of that idle window, under each --halt mode.",
            n: n)
        let baseline = labMedian(runs[0].map(\.cpuPerIdleSecond))
        for (index, mode) in Self.modes.enumerated() {
            let share = labMedian(runs[index].map(\.cpuPerIdleSecond))
            let last = runs[index][runs[index].count - 1]
            let key = Self.key(mode)
            result.counts["\(key).ticks"] = last.run.results.value
            result.counts["\(key).halts"] = last.run.results.aux
            result.counts["\(key).userExits"] = last.run.report.totalExits &- min(last.run.report.totalExits, 1)
            result.counts["\(key).hltUserExits"] = last.run.report.totals.first { $0.reason == "hlt" }?.count ?? 0
            result.counts["\(key).cpl"] = last.run.results.cpl
            let kvmHalts = last.run.report.kvmCounter("halt_exits")
            let polls = last.run.report.kvmCounter("halt_successful_poll")
            let wakeups = last.run.report.kvmCounter("halt_wakeup")
            if let kvmHalts { result.counts["\(key).kvmHaltExits"] = kvmHalts }
            if let polls { result.counts["\(key).kvmSuccessfulPolls"] = polls }
            if let wakeups { result.counts["\(key).kvmWakeups"] = wakeups }
            result.figures["\(key).cpuPerIdleSecond"] = share
            result.figures["\(key).cpuMilliseconds"] = Double(last.cpuNanoseconds) / 1e6
            result.figures["\(key).wallMilliseconds"] = Double(last.wallNanoseconds) / 1e6
            let label: String
            let seed: String
            switch mode {
            case .inKernel:
                label = "in-kernel (KVM sleeps the vCPU thread)"
                seed = "halting in the kernel: host CPU free"
            case .poll(let nanoseconds):
                label = "poll=\(LabFormat.duration(nanoseconds: Double(nanoseconds))) (KVM busy-polls)"
                seed = "busy-polling: a whole CPU"
            case .guest:
                label = "guest (HLT does not exit)"
                seed = "halting in the guest: the CPU is the guest's"
            }
            result.rows.append(LabRow("\(label): host CPU per idle s",
                                      here: "\(LabFormat.fixed(share * 1000, 1)) ms (\(LabFormat.fixed(share * 100, 1))%)",
                                      seed: seed,
                                      ratio: index == 0 ? "1x" : LabFormat.ratio(share / baseline) + " in-kernel"))
            let kvm = [kvmHalts.map { "halt exits ~\(LabFormat.grouped($0))" },
                       polls.map { "successful polls ~\(LabFormat.grouped($0))" },
                       wakeups.map { "wake-ups ~\(LabFormat.grouped($0))" }].compactMap { $0 }.joined(separator: ", ")
            result.rows.append(LabRow("  guest: ticks / HLTs in \(LabFormat.fixed(Double(last.wallNanoseconds) / 1e6, 0)) ms; KVM",
                                      here: "\(LabFormat.grouped(last.run.results.value)) / "
                                          + "\(LabFormat.grouped(last.run.results.aux)); \(kvm.isEmpty ? "n/a" : kvm)"))
            let reasons = last.run.report.totals.map { "\($0.reason) \(LabFormat.grouped($0.count))" }
            result.sections.append(LabSection(title: "exits to user space, \(label)",
                                              lines: [reasons.isEmpty ? "none" : reasons.joined(separator: ", ")]))
        }
        result.rows.append(LabRow("HLT exiting to user space", here: "not available (in-kernel LAPIC)",
                                  seed: "HLT exits to the VMM", ratio: ""))
        result.notes.append("There is no 'HLT exits to user space' variant: with the in-kernel local APIC, KVM "
            + "handles HLT itself (KVM_EXIT_HLT exists only for a user-space irqchip, which swift-vmm does not have); "
            + "docs/exit-controls.md. The guest's exits to user space, whole run, by reason, are listed above: "
            + "none for HLT in any mode.")
        result.notes.append("CPU time: CLOCK_PROCESS_CPUTIME_ID minus the measuring thread's own, between the guest's "
            + "RUNNING (timer armed) and its results; it includes the VMM's service threads, and any other work "
            + "running in the same process. KVM's counters are approximate (cumulative per vCPU)."
            + (hostPoll.map { " The host's default halt polling (in-kernel mode): halt_poll_ns = \(LabFormat.grouped($0)), adaptive." } ?? ""))
        if lab.host.ringZeroEmulated {
            result.notes.append("DISTORTED here: guest ring 0 is emulated on this host, and an emulated HLT halts the "
                + "vCPU inside KVM whatever the VMCS controls say, so `--halt guest` still sleeps in KVM here "
                + "(docs/exit-controls.md); on VT-x/AMD-V it would keep the host CPU 100% busy in guest mode. Each tick "
                + "also runs the guest's handler and the HLT loop in KVM's emulator, which costs host CPU in every mode.")
        }
        if lab.host.nested {
            result.notes.append("Nested host: the 'host CPU' here is a vCPU of the L1 guest this Linux runs in.")
        }
        return result
    }
}
