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
        case run = 0, pause = 1, stop = 2
    }

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
