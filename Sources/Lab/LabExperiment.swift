/// One `vmm lab` experiment: a built-in guest plus a measurement. To add one, write
/// a type conforming to this protocol in Sources/Lab/Experiments/ (one file) and list
/// it in `LabCatalog.experiments`.
public protocol LabExperiment: Sendable {
    /// The name on the command line (`vmm lab exit-cost`).
    var name: String { get }
    /// One line for `vmm lab --list`.
    var summary: String { get }
    /// N when `--n` is not given.
    var defaultN: Int { get }
    /// The smallest N that makes sense (the CLI refuses less).
    var minimumN: Int { get }
    func run(_ lab: LabContext) throws(LabError) -> LabResult
}

extension LabExperiment {
    public var minimumN: Int { 1 }
}

/// What an experiment is given: the host, N, how many repetitions to take medians of.
public struct LabContext: Sendable {
    public var host: LabHost
    public var n: Int
    /// Interleaved repetitions of each variant (medians are reported).
    public var repetitions: Int
    public var tsc: TSCRate { TSCRate(kHz: host.guestTSCKHz) }

    public init(host: LabHost, n: Int, repetitions: Int = 3) {
        self.host = host
        self.n = n
        self.repetitions = repetitions
    }

    /// Runs `variants` `repetitions` times, interleaved (A B C A B C ...), and
    /// returns each variant's runs in order.
    public func interleaved<Variant>(_ variants: [Variant], _ body: (Variant) throws(LabError) -> LabGuestRun)
        throws(LabError) -> [[LabGuestRun]]
    {
        var runs = Array(repeating: [LabGuestRun](), count: variants.count)
        for round in 0..<max(repetitions, 1) {
            // Alternate the order every other round so no variant always runs first.
            let order = round % 2 == 0 ? Array(variants.indices) : Array(variants.indices.reversed())
            for index in order { runs[index].append(try body(variants[index])) }
        }
        return runs
    }
}

/// An experiment of issue 5 that is not built yet, listed so nobody mistakes its absence.
public struct PlannedExperiment: Sendable {
    public var name: String
    public var summary: String
    public var waitingFor: String
}

/// The experiments, in the order of issue 5.
public enum LabCatalog {
    public static let experiments: [any LabExperiment] = [
        ExitCost(), MSRBitmap(), MMIOBatching(), Halt(), HugePages(), PageWalk(), Hypercall(),
        CPUIDLie(),
    ]

    public static let planned: [PlannedExperiment] = [
    ]

    /// Names in the order of issue 5, available or not.
    public static let order = ["exit-cost", "msr-bitmap", "mmio-batching", "halt", "huge-pages", "page-walk",
                               "hypercall", "cpuid-lie"]

    public static func experiment(named name: String) throws(LabError) -> any LabExperiment {
        if let found = experiments.first(where: { $0.name == name }) { return found }
        if let planned = planned.first(where: { $0.name == name }) {
            throw .notYetAvailable(name, reason: "it waits for \(planned.waitingFor)")
        }
        throw .unknownExperiment(name, known: order)
    }

    /// The `--list` text: every experiment, available or "not yet".
    public static func listing() -> String {
        var rows: [[String]] = []
        for name in order {
            if let experiment = experiments.first(where: { $0.name == name }) {
                rows.append([name, "yes", String(experiment.defaultN), experiment.summary])
            } else if let planned = planned.first(where: { $0.name == name }) {
                rows.append([name, "not yet", "", planned.summary + " (waits for " + planned.waitingFor + ")"])
            }
        }
        return LabTable.render(headers: ["experiment", "available", "default n", "what it measures"], rows: rows)
    }
}
