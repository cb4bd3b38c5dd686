import Dispatch
import KVM
import Synchronization

/// Ends the VM when no vCPU can ever run again.
///
/// With KVM's in-kernel local APICs a guest's HLT never reaches user space: KVM
/// parks the vCPU until an interrupt arrives. A guest that halts with interrupts
/// disabled (`cli; hlt`, the usual "I am done" of a test guest, or a kernel that
/// gave up) would then hang the VMM forever. This monitor watches KVM's `blocking`
/// statistic of every vCPU (a pread, no vCPU ioctl); when all of them are blocked
/// it asks each, through its control word, to inspect itself (MP state, RFLAGS.IF)
/// and ends the VM if every one is halted with interrupts off or still waiting for
/// INIT/SIPI. A guest idling with interrupts on is left alone; it is re-inspected
/// at most once per `maximumBackoff`, so an idle guest costs about one extra exit
/// per vCPU per second.
final class HaltMonitor: @unchecked Sendable {
    static let sampleInterval: DispatchTimeInterval = .milliseconds(20)
    static let initialBackoff: UInt64 = 20_000_000
    static let maximumBackoff: UInt64 = 1_000_000_000
    /// An inspection not answered in this time (a vCPU busy in a long exit) is dropped.
    static let answerTimeout: UInt64 = 1_000_000_000

    private struct Watched {
        let control: VCPUControl
        let statistics: KVMStatistics?
        let blocking: KVMStatistics.Counter?
    }

    private let watched: [Watched]
    private let kick: @Sendable (Int) -> Void
    private let stop: @Sendable (StopReason) -> Void
    private let queue = DispatchQueue(label: "swift-vmm.halt-monitor")
    private let timer: any DispatchSourceTimer
    // State below is touched only on `queue`.
    private var backoff = HaltMonitor.initialBackoff
    private var lastInspection: UInt64 = 0
    private var asked: [Int] = []
    private var askedAt: UInt64 = 0

    init(controls: [VCPUControl], statistics: [KVMStatistics?],
         kick: @escaping @Sendable (Int) -> Void, stop: @escaping @Sendable (StopReason) -> Void) {
        watched = zip(controls, statistics).map { control, stats in
            Watched(control: control, statistics: stats, blocking: stats?.counter(named: "blocking"))
        }
        self.kick = kick
        self.stop = stop
        timer = DispatchSource.makeTimerSource(queue: queue)
    }

    deinit {
        timer.cancel()
    }

    func start() {
        timer.schedule(deadline: .now() + Self.sampleInterval, repeating: Self.sampleInterval)
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
    }

    func cancel() {
        timer.cancel()
    }

    private func tick() {
        let now = monotonicNanoseconds()
        if !asked.isEmpty {
            collectAnswers(now: now)
            return
        }
        guard now &- lastInspection >= backoff, allBlocked() else { return }
        for (index, vcpu) in watched.enumerated() {
            vcpu.control.verdict.store(IdleVerdict.pending.rawValue, ordering: .releasing)
            let (exchanged, _) = vcpu.control.request.compareExchange(
                expected: VCPUControl.Request.run.rawValue, desired: VCPUControl.Request.inspect.rawValue,
                ordering: .acquiringAndReleasing)
            guard exchanged else {
                // Paused or stopping: the VM is not stuck on its own. The vCPUs
                // already asked are still kicked, so their request clears at once.
                for index in asked { kick(index) }
                asked.removeAll()
                lastInspection = now
                return
            }
            asked.append(index)
        }
        askedAt = now
        for index in asked { kick(index) }
    }

    private func collectAnswers(now: UInt64) {
        let verdicts = asked.map {
            IdleVerdict(rawValue: watched[$0].control.verdict.load(ordering: .acquiring)) ?? .live
        }
        if verdicts.contains(.pending) {
            guard now &- askedAt > Self.answerTimeout else { return }
            for index in asked {
                _ = watched[index].control.request.compareExchange(
                    expected: VCPUControl.Request.inspect.rawValue, desired: VCPUControl.Request.run.rawValue,
                    ordering: .acquiringAndReleasing)
            }
        } else if verdicts.allSatisfy(\.isStuck), verdicts.count == watched.count {
            let halted = zip(asked, verdicts).first { $0.1 == .haltedInterruptsOff }?.0 ?? 0
            timer.cancel()
            stop(.halted(vcpu: halted))
        }
        asked.removeAll()
        lastInspection = now
        backoff = min(backoff * 2, Self.maximumBackoff)
    }

    /// True when KVM reports every vCPU blocked (or cannot say, without a stats fd).
    private func allBlocked() -> Bool {
        watched.allSatisfy { vcpu in
            guard let statistics = vcpu.statistics, let counter = vcpu.blocking else { return true }
            return statistics.value(counter) == 1
        }
    }
}
