import Dispatch
import Synchronization

/// The life of one vCPU thread: created -> running <-> paused -> stopped.
public enum VCPUState: Int, Sendable {
    case created, running, paused, stopped
}

/// Requests from the control plane to one vCPU thread, and its answers.
///
/// The vCPU thread polls `request` once per exit (a relaxed atomic load); a
/// requester sets it, then kicks the thread out of KVM_RUN.
final class VCPUControl: Sendable {
    enum Request: Int {
        /// `inspect`: report the idle state (see `IdleVerdict`) and run on.
        /// `complete`: (paused vCPUs only) finish the last exit with an immediate-exit
        /// KVM_RUN, so its state can be read, and park again.
        case run = 0, pause = 1, stop = 2, inspect = 3, complete = 4
    }

    /// What a vCPU found when asked to inspect itself (`IdleVerdict` raw values).
    let verdict = Atomic<Int>(IdleVerdict.pending.rawValue)

    let request = Atomic<Int>(Request.run.rawValue)
    let state = Atomic<Int>(VCPUState.created.rawValue)
    /// Signalled by the vCPU when it has parked after a pause request.
    let parked = DispatchSemaphore(value: 0)
    /// Signalled by the control plane to let a parked vCPU go on.
    let wake = DispatchSemaphore(value: 0)

    var currentState: VCPUState { VCPUState(rawValue: state.load(ordering: .acquiring)) ?? .stopped }

    func setState(_ newState: VCPUState) {
        state.store(newState.rawValue, ordering: .releasing)
    }
}

/// Whether a vCPU can still make progress, as it reports on an `inspect` request.
enum IdleVerdict: Int, Sendable {
    /// Not answered yet.
    case pending = 0
    /// Running, or halted with interrupts enabled (a timer or device can wake it).
    case live = 1
    /// Halted with RFLAGS.IF clear: only NMI, INIT or SMI could wake it.
    case haltedInterruptsOff = 2
    /// An application processor still waiting for INIT/SIPI.
    case waitingForStartup = 3

    /// True when the vCPU cannot wake by itself or by a device interrupt.
    var isStuck: Bool { self == .haltedInterruptsOff || self == .waitingForStartup }
}
