/// hypercall: a call from the guest into the VMM against a system call inside the guest.
public struct Hypercall: LabExperiment {
    public init() {}
    public let name = "hypercall"
    public let summary = "a guest-to-VMM call (hypercall port, VMCALL) vs a guest-internal system call (SYSCALL/SYSRET)"
    public let defaultN = 2000

    enum Call: String, CaseIterable, Sendable {
        case syscall, hypercallPort = "hypercall port", vmcall = "VMCALL"
    }

    public func run(_ lab: LabContext) throws(LabError) -> LabResult {
        let n = lab.n
        let baseline = try LabBaseline.measure()
        let runs = try lab.interleaved(Call.allCases) { (call) throws(LabError) -> LabGuestRun in
            switch call {
            case .syscall: return try LabGuest.run(LabMachine.request(.syscall, n: n))
            case .vmcall: return try LabGuest.run(LabMachine.request(.vmcall, n: n))
            case .hypercallPort:
                var request = LabMachine.request(.portIn, n: n)
                request.port = LabMachine.hypercallPort
                return try LabGuest.run(request)
            }
        }
        var result = LabResult(
            name: name,
            question: "How much dearer is a call into the VMM than a system call that stays inside the guest? "
                + "CPL 3 calls CPL 0 of the guest (SYSCALL, whose handler returns at once with IRETQ), the VMM (an `in` from "
                + "the hypercall port, answered by a device in user space) or KVM (VMCALL/VMMCALL).",
            n: n)
        let syscallCycles = labMedian(runs[0].map(\.results.cyclesPerOperation))
        for (index, call) in Call.allCases.enumerated() {
            let cycles = labMedian(runs[index].map(\.results.cyclesPerOperation))
            let last = runs[index][runs[index].count - 1]
            let key = call == .hypercallPort ? "port" : call.rawValue.lowercased()
            let userExits = baseline.userExits(of: last)
            result.counts["\(key).userExits"] = userExits
            result.figures["\(key).cyclesPerCall"] = cycles
            result.figures["\(key).nanosecondsPerCall"] = lab.tsc.nanoseconds(cycles: cycles)
            if call == .hypercallPort {
                result.counts["port.answerSum"] = last.results.value
                result.counts["port.deviceReads"] = last.probe("hypercall-port")?.reads ?? 0
            }
            if call == .vmcall { result.counts["vmcall.lastRAX"] = last.results.value }
            let seed: String
            switch call {
            case .syscall: seed = "a simple system call"
            case .hypercallPort, .vmcall: seed = "orders of magnitude slower than a system call"
            }
            result.rows.append(LabRow("\(call.rawValue) per call",
                                      here: "\(LabFormat.duration(nanoseconds: lab.tsc.nanoseconds(cycles: cycles))) "
                                          + "(\(LabFormat.fixed(cycles, 0)) cycles)",
                                      seed: seed,
                                      ratio: index == 0 ? "1x" : LabFormat.ratio(cycles / syscallCycles) + " syscall"))
            result.rows.append(LabRow("  exits to user space", here: LabFormat.grouped(userExits)
                + " of \(LabFormat.grouped(UInt64(n)))"))
        }
        result.notes.append("The hypercall port answers \(LabFormat.hex(LabMachine.hypercallAnswer)) to every read; "
            + "the guest adds the answers up (\(LabFormat.grouped(result.counts["port.answerSum"] ?? 0)) = n x answer "
            + "when every call was answered). VMCALL from CPL 3 gets -KVM_EPERM from KVM "
            + "(rax = \(LabFormat.hex(result.counts["vmcall.lastRAX"] ?? 0))): it measures the trip into KVM, not a service.")
        if lab.host.ringZeroEmulated {
            result.notes.append("DISTORTED here: guest ring 0 is emulated on this host, so the SYSCALL's handler "
                + "(6 instructions) runs in KVM's instruction emulator at roughly 600 ns per instruction; with "
                + "VT-x/AMD-V it would run natively and never leave the guest. The system-call figure is therefore "
                + "far too high and the ratios far too low. (The handler returns with IRETQ because that emulator "
                + "does not implement SYSRET: the guest triple-faulted on it.)")
        }
        if lab.host.nested {
            result.notes.append("Nested host: the calls that leave the guest also leave the L1 guest, so they "
                + "cost more than on bare metal.")
        }
        return result
    }
}
