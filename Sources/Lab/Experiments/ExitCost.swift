/// exit-cost: a native instruction against instructions that leave the guest.
public struct ExitCost: LabExperiment {
    public init() {}
    public let name = "exit-cost"
    public let summary = "a native instruction vs CPUID, VMCALL, port I/O, MMIO and a hypercall port, in a CPL 3 loop"
    public let defaultN = 2000

    struct Variant: Sendable {
        let label: String
        let operation: LabOperation
        /// Iterations: exiting operations run n times, native ones more, to be timed.
        let iterations: @Sendable (Int) -> Int
        let port: UInt16
        let address: UInt64
        let exits: String
    }

    static let variants: [Variant] = [
        Variant(label: "native: rdtsc", operation: .rdtsc, iterations: { max($0, 100_000) }, port: 0, address: 0,
                exits: "none expected"),
        Variant(label: "native: add", operation: .native, iterations: { max($0, 1_000_000) }, port: 0, address: 0,
                exits: "none"),
        Variant(label: "CPUID", operation: .cpuid, iterations: { $0 }, port: 0, address: 0,
                exits: "to KVM, handled in the kernel"),
        Variant(label: "VMCALL/VMMCALL", operation: .vmcall, iterations: { $0 }, port: 0, address: 0,
                exits: "to KVM, refused at CPL 3"),
        Variant(label: "port I/O: out", operation: .portOut, iterations: { $0 }, port: LabMachine.counterPort,
                address: 0, exits: "to user space"),
        Variant(label: "MMIO: write", operation: .mmioWrite, iterations: { $0 }, port: 0,
                address: LabMachine.trappedMMIO, exits: "to user space"),
        Variant(label: "hypercall port: in", operation: .portIn, iterations: { $0 },
                port: LabMachine.hypercallPort, address: 0, exits: "to user space, answered"),
    ]

    public func run(_ lab: LabContext) throws(LabError) -> LabResult {
        let n = lab.n
        let baseline = try LabBaseline.measure()
        let runs = try lab.interleaved(Self.variants) { (variant) throws(LabError) -> LabGuestRun in
            var request = LabMachine.request(variant.operation, n: variant.iterations(n))
            request.port = variant.port
            request.address = variant.address
            return try LabGuest.run(request)
        }
        var result = LabResult(
            name: name,
            question: "What does one exit cost, against an instruction that stays in the guest? "
                + "Each loop runs at CPL 3, timed by the guest's rdtsc.",
            n: n)
        // The seed's native instruction is RDTSC (~25 cycles): every ratio is against it.
        let rdtscCycles = labMedian(runs[0].map(\.results.cyclesPerOperation))
        for (index, variant) in Self.variants.enumerated() {
            let cycles = labMedian(runs[index].map(\.results.cyclesPerOperation))
            let last = runs[index][runs[index].count - 1]
            let iterations = UInt64(variant.iterations(n))
            let userExits = baseline.userExits(of: last)
            let kernelExits = baseline.kernelExits(of: last)
            let key = variant.operation.rawValue
            result.counts["\(key).iterations"] = iterations
            result.counts["\(key).userExits"] = userExits
            if let kernelExits { result.counts["\(key).kernelExits"] = UInt64(max(kernelExits, 0)) }
            result.figures["\(key).cyclesPerOperation"] = cycles
            result.figures["\(key).nanosecondsPerOperation"] = lab.tsc.nanoseconds(cycles: cycles)
            let perOperation = "\(LabFormat.duration(nanoseconds: lab.tsc.nanoseconds(cycles: cycles))) "
                + "(\(LabFormat.fixed(cycles, cycles < 100 ? 1 : 0)) cycles)"
            let exitsText = "user-space exits \(LabFormat.grouped(userExits)) of \(LabFormat.grouped(iterations))"
                + (kernelExits.map { ", KVM exits ~\(LabFormat.grouped(UInt64(max($0, 0))))" } ?? "")
            let seed: String
            let ratio: String
            switch variant.operation {
            case .rdtsc:
                seed = "RDTSC: ~25 cycles"
                ratio = LabFormat.ratio(cycles / 25) + " the seed's"
            case .native:
                seed = ""
                ratio = LabFormat.ratio(cycles / rdtscCycles) + " rdtsc"
            default:
                seed = "thousands of cycles"
                ratio = LabFormat.ratio(cycles / rdtscCycles) + " rdtsc"
            }
            result.rows.append(LabRow("\(variant.label) per op", here: perOperation, seed: seed, ratio: ratio))
            result.rows.append(LabRow("  exits (\(variant.exits))", here: exitsText))
        }
        // The seed's program: 2 s of work that becomes "nearly a minute" (>25x) with exits in its loop.
        if let exitCycles = runs.last.map({ labMedian($0.map(\.results.cyclesPerOperation)) }) {
            let exitNanoseconds = lab.tsc.nanoseconds(cycles: exitCycles)
            let exitsFor25x = 24 * 2e9 / exitNanoseconds
            result.rows.append(LabRow("exits that make 2 s of work 25x slower", here:
                LabFormat.grouped(UInt64(exitsFor25x)) + " (at the hypercall-port cost)", seed: "a loop >25x slower",
                ratio: ""))
        }
        let vmcallValue = runs[Self.variants.firstIndex { $0.operation == .vmcall } ?? 0].last?.results.value ?? 0
        result.notes.append("VMCALL from CPL 3 returned rax = \(LabFormat.hex(vmcallValue)) "
            + "(KVM answers -KVM_EPERM = 0xffffffffffffffff to a hypercall from user mode). The ratio column "
            + "compares with rdtsc, the seed's native instruction, measured in the same run.")
        result.notes.append("Counts: 'user-space exits' are exact (the VMM counts them, beyond a run with n = 0); "
            + "'KVM exits' are KVM's own counter beyond that run, approximate (host interrupts add some).")
        if lab.host.nested {
            result.notes.append("This host is nested (hypervisor flag; modules \(lab.host.kvmModules.joined(separator: ", "))): "
                + "an exit here leaves the L1 guest too, so it costs far more than the thousands of cycles of a "
                + "bare-metal VT-x/AMD-V exit.")
        }
        return result
    }
}
