import ArgumentParser
import FoundationEssentials
import Lab

#if canImport(Glibc)
import Glibc
#endif

struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Run experiments that measure virtualization costs on this host against the seed chapters' claims.",
        discussion: """
            Each experiment boots a built-in guest (Guests/lab) and prints a table: the figure \
            measured here, the seed's claim, their ratio. With no NAME, runs every available \
            experiment. See docs/lab.md.
            """)

    @Argument(help: ArgumentHelp("Experiments to run (default: all available; see --list).", valueName: "name"))
    var names: [String] = []

    @Option(help: ArgumentHelp("Operations per measurement (default: each experiment's own).", valueName: "n"))
    var n: Int?

    @Option(name: .customLong("repeat"),
            help: ArgumentHelp("Interleaved repetitions of each variant; medians are reported.", valueName: "r"))
    var repetitions: Int = 3

    @Option(help: ArgumentHelp("Also write the host and every result as JSON.", valueName: "file"))
    var json: String?

    @Flag(help: "List the experiments, available or not yet.")
    var list = false

    func validate() throws {
        if let n, n < 1 { throw ValidationError("--n must be at least 1 (got \(n))") }
        guard (1...101).contains(repetitions) else {
            throw ValidationError("--repeat must be between 1 and 101 (got \(repetitions))")
        }
    }

    func run() throws {
        if list {
            print(LabCatalog.listing())
            return
        }
        let experiments: [any LabExperiment]
        do {
            experiments = try names.isEmpty ? LabCatalog.experiments : names.map { (name) throws(LabError) in
                try LabCatalog.experiment(named: name)
            }
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        if let n, let tooSmall = experiments.first(where: { n < $0.minimumN }) {
            printError("error: \(tooSmall.name) needs --n of at least \(tooSmall.minimumN)")
            throw ExitCode(2)
        }
        let host: LabHost
        do { host = try LabHost.probe() } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        print(host.lines.joined(separator: "\n"))
        var results: [LabResult] = []
        var failed = false
        for experiment in experiments {
            let context = LabContext(host: host, n: n ?? experiment.defaultN, repetitions: repetitions)
            print("")
            do {
                let result = try experiment.run(context)
                print(result.rendered())
                results.append(result)
            } catch {
                printError("error: \(experiment.name): \(error)")
                failed = true
            }
        }
        if let json {
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let data = try encoder.encode(LabReport(host: host, results: results))
                guard let file = fopen(json, "w") else {
                    throw ValidationError("cannot write --json \(json): \(String(cString: strerror(errno)))")
                }
                defer { fclose(file) }
                let written = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
                guard written == data.count else { throw ValidationError("cannot write --json \(json): short write") }
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
        }
        if failed { throw ExitCode(1) }
    }
}
