import CPUModel
import VMM

/// cpuid-lie: the VMM's CPUID policy hides the FPU; does the guest see it, and how
/// does its path change when it believes there is no FPU?
public struct CPUIDLie: LabExperiment {
    public init() {}
    public let name = "cpuid-lie"
    public let summary = "the FPU hidden in CPUID (-fpu) and the guest's path changing (CR0.EM, x87 -> #NM), counted"
    public let defaultN = 1000

    enum Variant: String, CaseIterable, Sendable {
        case host = "CPUID as KVM offers it"
        case hidden = "CPUID policy -fpu"
        case forced = "guest forced to its no-FPU path"
        var key: String {
            switch self {
            case .host: return "host"
            case .hidden: return "hidden"
            case .forced: return "forced"
            }
        }
    }

    static func policy(_ variant: Variant) throws(LabError) -> CPUIDPolicy {
        guard variant == .hidden else { return CPUIDPolicy() }
        do { return CPUIDPolicy(features: try CPUFeatureEdit.parseList("-fpu")) } catch {
            throw .machine("cannot build the CPUID policy -fpu: \(error)")
        }
    }

    static func request(_ variant: Variant, n: Int) throws(LabError) -> LabGuestRequest {
        var request = LabMachine.request(.fpu, n: n)
        request.cpuid = try policy(variant)
        request.port = variant == .forced ? 1 : 0
        return request
    }

    public func run(_ lab: LabContext) throws(LabError) -> LabResult {
        let n = lab.n
        let variants = Variant.allCases
        var requests: [LabGuestRequest] = []
        for variant in variants { requests.append(try Self.request(variant, n: n)) }
        let runs = try lab.interleaved(Array(requests.indices)) { (index) throws(LabError) -> LabGuestRun in
            try LabGuest.run(requests[index])
        }
        var result = LabResult(
            name: name,
            question: "Can the VMM make the guest believe there is no FPU, and what does the guest then do? The "
                + "guest reads CPUID.1:EDX; if the FPU bit is 0 (or it is forced to) it sets CR0.EM, as an OS without "
                + "an FPU does, so every x87 instruction raises #NM for a software emulator. It then runs n fninit at "
                + "CPL 0 and counts the #NM it took.",
            n: n)
        var nanoseconds: [Double] = []
        for (index, variant) in variants.enumerated() {
            let key = variant.key
            let policy = try Self.policy(variant)
            let table: CPUIDTable
            do { table = try GuestCPUID.resolve(policy).table } catch {
                throw .machine("cannot resolve the CPUID policy: \(error)")
            }
            let policyEDX = UInt64(table.entry(function: 1)?.edx ?? 0)
            let last = runs[index][runs[index].count - 1]
            let guestEDX = last.results.aux
            let traps = last.results.value
            let cycles = labMedian(runs[index].map(\.results.cyclesPerOperation))
            let time = lab.tsc.nanoseconds(cycles: cycles)
            nanoseconds.append(time)
            result.counts["\(key).policyFPU"] = policyEDX & 1
            result.counts["\(key).guestFPU"] = guestEDX & 1
            result.counts["\(key).nmTraps"] = traps
            result.counts["\(key).cpl"] = last.results.cpl
            result.figures["\(key).nanosecondsPerFninit"] = time
            let path = traps > 0 ? "no-FPU path: CR0.EM, #NM" : "FPU path: fninit runs"
            result.rows.append(LabRow("\(variant.rawValue): FPU bit, policy table / guest",
                                      here: "\(policyEDX & 1) / \(guestEDX & 1)",
                                      seed: variant == .hidden ? "the hypervisor lies: no FPU" : "",
                                      ratio: variant == .hidden && policyEDX & 1 != guestEDX & 1
                                          ? "the lie does not reach the guest here" : ""))
            result.rows.append(LabRow("  guest's path; #NM per n fninit",
                                      here: "\(path); \(LabFormat.grouped(traps)) of \(LabFormat.grouped(UInt64(n)))",
                                      seed: variant == .host ? "" : "the OS emulates x87 on #NM"))
            result.rows.append(LabRow("  time per fninit",
                                      here: "\(LabFormat.duration(nanoseconds: time)) (\(LabFormat.fixed(cycles, 0)) cycles)",
                                      ratio: index == 0 ? "1x" : LabFormat.ratio(time / nanoseconds[0]) + " the FPU path"))
        }
        let hiddenSeen = result.counts["hidden.guestFPU"] ?? 1
        if hiddenSeen == 1 {
            result.notes.append("HONEST RESULT here: the policy's table says no FPU (CPUID.1:EDX bit 0 = "
                + "\(result.counts["hidden.policyFPU"] ?? 1)), KVM_SET_CPUID2 accepts it, yet the guest still reads FPU = 1: "
                + "this host's KVM (kvm_pvm) answers CPUID.1:EDX from the hardware, not from the VMM's table "
                + "(docs/cpuid.md; QEMU's -cpu ...,-fpu cannot hide it here either). So the guest keeps its FPU path. "
                + "The third variant forces the guest's no-FPU path (what it would do if the lie reached it) to show "
                + "how its path changes: CR0.EM set, every x87 instruction a #NM.")
        } else {
            result.notes.append("The lie reached the guest: it read FPU = 0 and took the no-FPU path.")
        }
        result.notes.append("The #NM handler only counts and skips the 2-byte fninit: a real OS would decode and "
            + "emulate the instruction in software there, so the no-FPU path would cost still more per instruction.")
        if lab.host.ringZeroEmulated {
            result.notes.append("DISTORTED here: the loop runs at CPL 0 (CR0 is privileged, and the #NM handler is "
                + "ring 0 without a TSS), which this host emulates: fninit itself runs in KVM's emulator (~600 ns per "
                + "instruction) and the #NM delivery and IRETQ are emulated too. With VT-x/AMD-V fninit is a few "
                + "native cycles and #NM a guest-internal exception that never leaves the guest.")
        }
        return result
    }
}
