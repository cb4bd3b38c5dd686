import Histogram
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One vCPU's exit accounting: counts by reason, by port and by MMIO page, the
/// accesses that hit no device, and a histogram per reason of the time spent in
/// user space handling the exit (from KVM_RUN's return to the next KVM_RUN).
///
/// Everything is allocated up front and reached through pointers, so recording
/// in the exit loop allocates nothing and takes no lock. It is written by the
/// vCPU's thread only and read once that thread has stopped, except the counts
/// by reason: relaxed atomics (plain loads and stores on x86), which the live
/// view and the metrics read while the vCPU runs.
public final class VCPUStatistics: @unchecked Sendable {
    public static let portCount = 65536
    /// Longest user-space handling time recorded in the histograms: 10 s.
    public static let highestTrackableNanoseconds: UInt64 = 10_000_000_000

    let reasonCounts: UnsafeMutablePointer<Atomic<UInt64>>
    let reasonNanoseconds: UnsafeMutablePointer<UInt64>
    let histograms: UnsafeMutablePointer<Histogram<UInt64>>
    /// Exits per port (reads and writes).
    let portCounts: UnsafeMutablePointer<UInt64>
    /// Accesses per port that hit no device.
    let unassignedPortCounts: UnsafeMutablePointer<UInt64>
    /// Exits per 4 KiB MMIO page.
    public let mmioPages: AddressCounters
    /// Accesses per MMIO address that hit no device.
    public let unassignedMMIO: AddressCounters
    /// Writes KVM queued in the coalesced ring (no exit each), per 4 KiB page (or port).
    public let coalescedWrites: AddressCounters
    /// RDMSR and WRMSR exits (filtered MSRs) per MSR index.
    public let msrReads: AddressCounters
    public let msrWrites: AddressCounters

    public init() throws(VMMError) {
        // calloc of large blocks maps zero pages lazily: only ports used cost memory.
        let ports = calloc(Self.portCount, MemoryLayout<UInt64>.stride)
        let unassignedPorts = calloc(Self.portCount, MemoryLayout<UInt64>.stride)
        guard let ports, let unassignedPorts else {
            free(ports)
            free(unassignedPorts)
            throw .invalidConfiguration(option: "exit statistics", reason: "out of memory for the port counters")
        }
        portCounts = ports.assumingMemoryBound(to: UInt64.self)
        unassignedPortCounts = unassignedPorts.assumingMemoryBound(to: UInt64.self)
        let reasons = ExitReason.count
        reasonCounts = .allocate(capacity: reasons)
        for i in 0..<reasons { (reasonCounts + i).initialize(to: Atomic(0)) }
        reasonNanoseconds = .allocate(capacity: reasons)
        reasonNanoseconds.initialize(repeating: 0, count: reasons)
        histograms = .allocate(capacity: reasons)
        for i in 0..<reasons {
            (histograms + i).initialize(to: Histogram<UInt64>(
                lowestDiscernibleValue: 1, highestTrackableValue: Self.highestTrackableNanoseconds,
                numberOfSignificantValueDigits: .two))
        }
        mmioPages = AddressCounters(capacity: 256)
        unassignedMMIO = AddressCounters(capacity: 256)
        coalescedWrites = AddressCounters(capacity: 64)
        msrReads = AddressCounters(capacity: 64)
        msrWrites = AddressCounters(capacity: 64)
    }

    deinit {
        histograms.deinitialize(count: ExitReason.count)
        histograms.deallocate()
        reasonCounts.deinitialize(count: ExitReason.count)
        reasonCounts.deallocate()
        reasonNanoseconds.deallocate()
        free(portCounts)
        free(unassignedPortCounts)
    }

    /// Counts one exit of `reason`.
    @inline(__always)
    func count(_ reason: ExitReason) {
        // Only this vCPU's thread writes: a relaxed load and store, no locked add.
        let counter = reasonCounts + reason.rawValue
        counter.pointee.store(counter.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// Records the user-space time spent handling one exit of `reason`.
    @inline(__always)
    func recordHandlingTime(_ reason: ExitReason, nanoseconds: UInt64) {
        reasonNanoseconds[reason.rawValue] &+= nanoseconds
        histograms[reason.rawValue].record(max(nanoseconds, 1))
    }

    @inline(__always)
    func countPort(_ port: UInt16) { portCounts[Int(port)] &+= 1 }

    @inline(__always)
    func countUnassignedPort(_ port: UInt16) { unassignedPortCounts[Int(port)] &+= 1 }

    // MARK: reading, once the vCPU has stopped

    /// Exits of `reason` so far; may be read while the vCPU runs.
    public func exits(_ reason: ExitReason) -> UInt64 {
        (reasonCounts + reason.rawValue).pointee.load(ordering: .relaxed)
    }
    public func handlingNanoseconds(_ reason: ExitReason) -> UInt64 { reasonNanoseconds[reason.rawValue] }
    public func histogram(_ reason: ExitReason) -> Histogram<UInt64> { histograms[reason.rawValue] }
    public var totalExits: UInt64 { ExitReason.allCases.reduce(0) { $0 + exits($1) } }

    /// Ports with at least one exit: (port, count), highest count first.
    public func ports(unassignedOnly: Bool = false) -> [(port: UInt16, count: UInt64)] {
        let table = unassignedOnly ? unassignedPortCounts : portCounts
        var result: [(port: UInt16, count: UInt64)] = []
        for port in 0..<Self.portCount where table[port] != 0 {
            result.append((UInt16(port), table[port]))
        }
        return result.sorted { $0.count != $1.count ? $0.count > $1.count : $0.port < $1.port }
    }
}
