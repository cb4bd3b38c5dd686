/// Why a VM ended. Each reason has a one-line summary and a process exit status.
///
/// Exit statuses: odd values come from the guest through the debug-exit port
/// (`(V << 1) | 1`, as QEMU does); 0 is a clean end (every vCPU halted with interrupts off,
/// power-off, reset, a stop asked for by the host); the VMM's own reasons are even:
/// 4 the guest crashed (triple fault), 6 KVM could not go on (internal error,
/// failed entry, unhandled exit), 8 `--strict-io` caught an access to no device,
/// 124 `--timeout`, 128 + N signal N.
public enum StopReason: Sendable, Equatable {
    case debugExit(status: Int32)
    case halted(vcpu: Int)
    case tripleFault(vcpu: Int)
    case powerOff(vcpu: Int)
    case reset(vcpu: Int)
    case crash(vcpu: Int)
    case internalError(vcpu: Int, suberror: UInt32, rip: UInt64?, instruction: [UInt8], data: [UInt64])
    case failEntry(vcpu: Int, hardwareReason: UInt64)
    case unhandledExit(vcpu: Int, detail: String)
    case unassignedAccess(vcpu: Int, detail: String)
    case runFailed(vcpu: Int, errno: Int32)
    case timeout(seconds: Double)
    case signal(Int32)
    case stopRequested

    public var exitStatus: Int32 {
        switch self {
        case .debugExit(let status): return status & 0xFF
        case .halted, .powerOff, .reset, .stopRequested: return 0
        case .tripleFault, .crash: return 4
        case .internalError, .failEntry, .unhandledExit, .runFailed: return 6
        case .unassignedAccess: return 8
        case .timeout: return 124
        case .signal(let number): return 128 + number
        }
    }

    /// One line saying why the VM ended.
    public var summary: String {
        switch self {
        case .debugExit(let status):
            return "the guest wrote \(status >> 1) to the debug exit port (exit status \(status & 0xFF))"
        case .halted(let vcpu):
            return "vCPU \(vcpu) halted with interrupts disabled; no vCPU can run again"
        case .tripleFault(let vcpu):
            return "vCPU \(vcpu): triple fault (KVM_EXIT_SHUTDOWN)"
        case .powerOff(let vcpu):
            return "vCPU \(vcpu): the guest powered off"
        case .reset(let vcpu):
            return "vCPU \(vcpu): the guest requested a reset"
        case .crash(let vcpu):
            return "vCPU \(vcpu): the guest reported a crash"
        case .internalError(let vcpu, let suberror, let rip, let instruction, _):
            let kind = suberror == 1 ? "emulation failure" : "suberror \(suberror)"
            let at = rip.map { " at RIP 0x" + String($0, radix: 16) } ?? ""
            let bytes = instruction.isEmpty ? "unreadable"
                : instruction.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
                    .joined(separator: " ")
            return "vCPU \(vcpu): KVM internal error (\(kind))\(at), instruction bytes: \(bytes)"
        case .failEntry(let vcpu, let reason):
            return "vCPU \(vcpu): VM entry failed (hardware reason 0x\(String(reason, radix: 16)))"
        case .unhandledExit(let vcpu, let detail):
            return "vCPU \(vcpu): unhandled exit: \(detail)"
        case .unassignedAccess(let vcpu, let detail):
            return "vCPU \(vcpu): --strict-io: \(detail)"
        case .runFailed(let vcpu, let errno):
            return "vCPU \(vcpu): KVM_RUN failed with errno \(errno)"
        case .timeout(let seconds):
            return "timed out after \(seconds) s (--timeout)"
        case .signal(let number):
            return "stopped by signal \(number)"
        case .stopRequested:
            return "stopped on request"
        }
    }
}
