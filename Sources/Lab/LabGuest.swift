import CPUModel
import Memory
import VMM

/// What the lab guest does at CPL 3 (Guests/lab/lab.h, `LAB_OP_*`).
public enum LabOperation: String, Sendable, CaseIterable, Codable {
    case native, rdtsc, cpuid, portOut, portIn, mmioWrite, vmcall, syscall, ramWrite, chase, spin
    /// These three run at CPL 0: the instructions they study are privileged.
    case wrmsr, halt, fpu

    /// The CPL the guest runs the operation at.
    public var cpl: UInt64 {
        switch self {
        case .wrmsr, .halt, .fpu: return 0
        default: return 3
        }
    }

    var code: UInt64 {
        switch self {
        case .native: return LabGuestImage.opNative
        case .rdtsc: return LabGuestImage.opRdtsc
        case .cpuid: return LabGuestImage.opCpuid
        case .portOut: return LabGuestImage.opPioOut
        case .portIn: return LabGuestImage.opPioIn
        case .mmioWrite: return LabGuestImage.opMmioWrite
        case .vmcall: return LabGuestImage.opVmcall
        case .syscall: return LabGuestImage.opSyscall
        case .ramWrite: return LabGuestImage.opRamWrite
        case .chase: return LabGuestImage.opChase
        case .spin: return LabGuestImage.opSpin
        case .wrmsr: return LabGuestImage.opWrmsr
        case .halt: return LabGuestImage.opHalt
        case .fpu: return LabGuestImage.opFpu
        }
    }
}

/// One run of the lab guest: the operation and its operands (`struct lab_params`).
public struct LabGuestRequest: Sendable {
    public var operation: LabOperation
    public var n: UInt64
    public var port: UInt16 = 0
    public var address: UInt64 = 0
    public var size: UInt64 = 0
    public var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    public var probes: [ProbeWindow] = []
    public var memorySize: UInt64 = 128 << 20
    public var hugePages = true
    /// Read from /proc how much of guest RAM transparent huge pages back, after the run.
    public var measureHostPages = false
    /// The machine's MSR policy, halt mode and CPUID policy (msr-bitmap, halt, cpuid-lie).
    public var msrRules: [MSRRule] = []
    public var halt: HaltMode = .inKernel
    public var cpuid = CPUIDPolicy()

    public init(_ operation: LabOperation, n: UInt64) {
        self.operation = operation
        self.n = n
    }
}

/// What the guest wrote back (`struct lab_results`).
public struct LabGuestResults: Sendable, Equatable {
    public var status: UInt64
    public var n: UInt64
    public var tscBegin: UInt64
    public var tscEnd: UInt64
    public var value: UInt64
    public var cpl: UInt64
    /// HALT: hlt instructions executed; FPU: CPUID.1:EDX as the guest read it.
    public var aux: UInt64 = 0

    public var cycles: UInt64 { tscEnd &- tscBegin }
    public var cyclesPerOperation: Double { n == 0 ? .nan : Double(cycles) / Double(n) }
}

/// The outcome of one lab guest run.
public struct LabGuestRun: Sendable {
    public var results: LabGuestResults
    public var report: ExitReport
    public var probes: [ProbeCounts]
    public var stop: StopReason
    public var tscKHz: UInt64
    /// Bytes of guest RAM backed by transparent huge pages (with `measureHostPages`).
    public var hostHugePageBytes: UInt64? = nil
    public var guestRAMBytes: UInt64 = 0

    /// Exits to user space for MMIO accesses to the page holding `address`.
    public func mmioExits(page address: UInt64) -> UInt64 {
        report.vcpus.flatMap(\.mmioPages).filter { $0.address == address & ~0xFFF }.reduce(0) { $0 + $1.count }
    }

    /// Every exit KVM saw (its `exits` statistic), including the ones it handled itself.
    public var kernelExits: UInt64? { report.kvmCounter("exits") }

    public func probe(_ name: String) -> ProbeCounts? { probes.first { $0.name == name } }
}

/// Why an experiment could not run.
public enum LabError: Error, CustomStringConvertible, Equatable {
    case machine(String)
    case guestFailed(operation: String, detail: String)
    case unknownExperiment(String, known: [String])
    case notYetAvailable(String, reason: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .machine(let detail): return detail
        case .guestFailed(let operation, let detail): return "lab guest (\(operation)): \(detail)"
        case .unknownExperiment(let name, let known):
            return "no experiment '\(name)'; known: \(known.joined(separator: ", ")) (vmm lab --list)"
        case .notYetAvailable(let name, let reason): return "experiment '\(name)' is not available yet: \(reason)"
        case .invalidArgument(let detail): return detail
        }
    }
}

/// Boots the embedded lab guest once per request.
public enum LabGuest {
    /// lab.elf (Guests/lab), decoded from its embedded form.
    public static let image: [UInt8] = decodeHex(LabGuestImage.hex)

    static func decodeHex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 2)
        var high: UInt8? = nil
        for character in text.utf8 {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            default: continue
            }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }

    /// A machine with the lab guest loaded and its parameters written; not started.
    public static func machine(for request: LabGuestRequest) throws(LabError) -> VirtualMachine {
        var configuration = MachineConfiguration()
        configuration.kernel = .bytes(image, name: "lab.elf")
        configuration.memorySize = request.memorySize
        configuration.hugePages = request.hugePages
        configuration.serialOutput = CapturedSerialOutput()
        configuration.probes = request.probes
        configuration.msrRules = request.msrRules
        configuration.halt = request.halt
        configuration.cpuid = request.cpuid
        let machine: VirtualMachine
        do { machine = try VirtualMachine(configuration: configuration) } catch {
            throw .machine("cannot build the lab VM: \(error)")
        }
        let words: [UInt64] = [LabGuestImage.paramsMagic, request.operation.code, request.n, UInt64(request.port),
                               request.address, request.size, request.seed]
        do {
            for (index, word) in words.enumerated() {
                try machine.memory.store(word, at: GuestAddress(LabGuestImage.paramsAddress + UInt64(index) * 8))
            }
        } catch {
            throw .machine("cannot write the lab guest's parameters: \(error)")
        }
        return machine
    }

    /// Reads `struct lab_results` from guest memory (nil before the guest wrote it).
    public static func results(in memory: GuestMemory) -> LabGuestResults? {
        func word(_ index: UInt64) -> UInt64? {
            try? memory.load(UInt64.self, at: GuestAddress(LabGuestImage.resultsAddress + index * 8))
        }
        guard word(0) == LabGuestImage.resultsMagic || word(1) == LabGuestImage.statusRunning,
              let status = word(1), let n = word(3), let begin = word(4), let end = word(5),
              let value = word(6), let cpl = word(7), let aux = word(8) else { return nil }
        return LabGuestResults(status: status, n: n, tscBegin: begin, tscEnd: end, value: value, cpl: cpl, aux: aux)
    }

    /// Runs the guest to its debug exit and checks that it completed at CPL 3.
    /// `whileRunning` is called on this thread after start, before waiting.
    public static func run(_ request: LabGuestRequest, timeout: Double = 120,
                           whileRunning: ((VirtualMachine) throws(LabError) -> Void)? = nil) throws(LabError)
        -> LabGuestRun
    {
        let machine = try self.machine(for: request)
        let operation = request.operation.rawValue
        let tscKHz = (try? machine.guestTSCKHz()) ?? 0
        do { try machine.start() } catch { throw .machine("cannot start the lab VM: \(error)") }
        if let whileRunning {
            do { try whileRunning(machine) } catch {
                machine.requestStop(.stopRequested)
                _ = machine.wait()
                throw error
            }
        }
        let stop = machine.wait(timeout: timeout)
        guard let results = results(in: machine.memory), results.status == LabGuestImage.statusDone else {
            let status = results(in: machine.memory).map { "status \($0.status)" } ?? "no results"
            throw .guestFailed(operation: operation, detail: "\(stop.summary); \(status)")
        }
        guard results.cpl == request.operation.cpl else {
            throw .guestFailed(operation: operation,
                               detail: "the loop ran at CPL \(results.cpl), not \(request.operation.cpl)")
        }
        var run = LabGuestRun(results: results, report: machine.report(), probes: machine.probeCounts(), stop: stop,
                              tscKHz: tscKHz)
        run.guestRAMBytes = machine.memory.size
        if request.measureHostPages {
            var total: UInt64 = 0
            for region in machine.memory.regions {
                let start = UInt(bitPattern: region.host)
                guard let bytes = HostPages.transparentHugeBytes(start: start, length: UInt(region.range.size)) else {
                    total = 0
                    break
                }
                total += bytes
            }
            run.hostHugePageBytes = total
        }
        return run
    }
}
