#if canImport(Glibc)
import Glibc
#endif
import Memory
import VMM

/// mmio-batching: the same N device-register writes delivered four ways.
public struct MMIOBatching: LabExperiment {
    public init() {}
    public let name = "mmio-batching"
    public let summary = "N register writes trapped, coalesced, via ioeventfd, and to a shared page polled every 1 ms"
    public let defaultN = 10_000

    /// The shared page's poll period.
    public static let pollMicroseconds: UInt32 = 1000

    enum Method: String, CaseIterable, Sendable {
        case trapped, coalesced, ioeventfd, sharedPage = "shared page"
    }

    /// Polls done until the VMM saw the guest's last write, from one run.
    final class PollRecord: @unchecked Sendable {
        var polls: UInt64 = 0
        var sawLastWrite = false
    }

    public func run(_ lab: LabContext) throws(LabError) -> LabResult {
        let n = lab.n
        let baseline = try LabBaseline.measure()
        var pollRecords: [PollRecord] = []
        let runs = try lab.interleaved(Method.allCases) { (method) throws(LabError) -> LabGuestRun in
            var request = LabMachine.request(.mmioWrite, n: n)
            switch method {
            case .trapped: request.address = LabMachine.trappedMMIO
            case .coalesced: request.address = LabMachine.coalescedMMIO
            case .ioeventfd: request.address = LabMachine.ioeventfdMMIO
            case .sharedPage:
                request = LabMachine.request(.ramWrite, n: n)
                request.address = LabMachine.sharedPage
                // The seed's rate: one write per microsecond (1,000,000 per second).
                request.size = max(lab.host.guestTSCKHz / 1000, 1)
                let record = PollRecord()
                pollRecords.append(record)
                return try LabGuest.run(request) { machine in Self.poll(machine, n: UInt64(n), record: record) }
            }
            return try LabGuest.run(request)
        }
        var result = LabResult(
            name: name,
            question: "How many exits do N device-register writes cost, trapped one by one or batched? "
                + "The guest does N 4-byte writes at CPL 3.",
            n: n)
        let trappedCycles = labMedian(runs[0].map(\.results.cyclesPerOperation))
        for (index, method) in Method.allCases.enumerated() {
            let last = runs[index][runs[index].count - 1]
            let userExits = baseline.userExits(of: last)
            let kernelExits = baseline.kernelExits(of: last)
            let cycles = labMedian(runs[index].map(\.results.cyclesPerOperation))
            let key = method == .sharedPage ? "shared" : method.rawValue
            result.counts["\(key).userExits"] = userExits
            if let kernelExits { result.counts["\(key).kernelExits"] = UInt64(max(kernelExits, 0)) }
            result.figures["\(key).cyclesPerWrite"] = cycles
            var delivered = ""
            switch method {
            case .trapped:
                let probe = last.probe("trapped-mmio")
                result.counts["trapped.deviceWrites"] = probe?.writes ?? 0
                result.counts["trapped.pageExits"] = last.mmioExits(page: LabMachine.trappedMMIO)
                delivered = "device got \(LabFormat.grouped(probe?.writes ?? 0)) writes"
            case .coalesced:
                let probe = last.probe("coalesced-mmio")
                result.counts["coalesced.deviceWrites"] = probe?.writes ?? 0
                result.counts["coalesced.pageExits"] = last.mmioExits(page: LabMachine.coalescedMMIO)
                delivered = "device got \(LabFormat.grouped(probe?.writes ?? 0)) writes (replayed from the ring)"
            case .ioeventfd:
                let probe = last.probe("ioeventfd-mmio")
                result.counts["ioeventfd.eventSignals"] = probe?.eventSignals ?? 0
                result.counts["ioeventfd.deviceWrites"] = probe?.writes ?? 0
                result.counts["ioeventfd.pageExits"] = last.mmioExits(page: LabMachine.ioeventfdMMIO)
                delivered = "eventfd counted \(LabFormat.grouped(probe?.eventSignals ?? 0)) signals (data dropped)"
            case .sharedPage:
                let polls = pollRecords.map(\.polls)
                let record = pollRecords.last
                result.counts["shared.polls"] = record?.polls ?? 0
                result.counts["shared.sawLastWrite"] = record?.sawLastWrite == true ? 1 : 0
                result.figures["shared.medianPolls"] = labMedian(polls.map(Double.init))
                delivered = "\(LabFormat.grouped(record?.polls ?? 0)) polls at 1 ms until the VMM saw write N"
                    + (record?.sawLastWrite == true ? "" : " (NOT seen)")
            }
            let reduction = method == .trapped ? "1x (reference)"
                : userExits == 0 ? "all \(LabFormat.grouped(UInt64(n))) avoided"
                : LabFormat.ratio(Double(n) / Double(userExits)) + " fewer"
            let seed: String
            switch method {
            case .trapped: seed = "1 exit per write (1,000,000)"
            case .sharedPage: seed = "1,000 timer exits per 1,000,000 writes"
            default: seed = ""
            }
            result.rows.append(LabRow("\(method.rawValue): exits to user space per N writes",
                                      here: LabFormat.grouped(userExits), seed: seed, ratio: reduction))
            if method == .sharedPage {
                result.rows.append(LabRow("  time per write (guest)", here: "paced at 1 µs per write: the seed's "
                    + "1,000,000 writes per second"))
            } else {
                result.rows.append(LabRow("  time per write (guest)",
                                          here: "\(LabFormat.duration(nanoseconds: lab.tsc.nanoseconds(cycles: cycles))) "
                                              + "(\(LabFormat.fixed(cycles, 0)) cycles)",
                                          ratio: method == .trapped ? ""
                                              : LabFormat.ratio(trappedCycles / cycles) + " faster than trapped"))
            }
            result.rows.append(LabRow("  KVM exits (approx.)",
                                      here: kernelExits.map { "~" + LabFormat.grouped(UInt64(max($0, 0))) } ?? "n/a"))
            result.rows.append(LabRow("  delivered", here: delivered))
        }
        let sharedPolls = result.counts["shared.polls"] ?? 0
        result.rows.append(LabRow("shared page, the seed's model (1 timer exit per poll)",
                                  here: "\(LabFormat.grouped(sharedPolls)) exits per \(LabFormat.grouped(UInt64(n)))",
                                  seed: "1000x fewer",
                                  ratio: sharedPolls == 0 ? "n/a" : LabFormat.ratio(Double(n) / Double(sharedPolls))))
        result.notes.append("The coalesced ring holds about 170 writes: KVM exits to user space when it is full, "
            + "and the VMM replays the ring before handling that exit, so the device still sees every write in order.")
        result.notes.append("ioeventfd: KVM matches the write and signals an eventfd without leaving the kernel; "
            + "the written value is dropped (a doorbell, not a data register).")
        result.notes.append("Shared page: the guest writes plain RAM (no exit at all), one write per microsecond "
            + "as in the seed's example; the VMM reads the page every 1 ms from its own thread, which needs no "
            + "exit here. In the seed's model each poll is a timer exit, so its exits are the polls.")
        if lab.host.nested {
            result.notes.append("Nested host: every exit, trapped or handled in KVM, is far dearer than on bare metal "
                + "(see exit-cost); the counts do not depend on the host.")
        }
        return result
    }

    /// The VMM side of the shared page: read it every `pollMicroseconds` until the
    /// guest's final marker (n at +8) shows, or the VM ends.
    static func poll(_ machine: VirtualMachine, n: UInt64, record: PollRecord) {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        while machine.vcpuStates.contains(where: { $0 != .stopped }) {
            // A periodic timer: absolute deadlines, so the period does not drift.
            deadline.tv_nsec += Int(pollMicroseconds) * 1000
            if deadline.tv_nsec >= 1_000_000_000 {
                deadline.tv_sec += 1
                deadline.tv_nsec -= 1_000_000_000
            }
            while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR {}
            record.polls += 1
            let marker = try? machine.memory.load(UInt64.self, at: GuestAddress(LabMachine.sharedPage + 8))
            if marker == n {
                record.sawLastWrite = true
                return
            }
        }
        let marker = try? machine.memory.load(UInt64.self, at: GuestAddress(LabMachine.sharedPage + 8))
        record.sawLastWrite = marker == n
    }
}
