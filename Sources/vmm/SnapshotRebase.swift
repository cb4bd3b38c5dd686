import ArgumentParser
import VMM

/// `vmm snapshot-rebase`: applies a diff snapshot's memory file to the full memory
/// file it was taken after, as Firecracker's rebase-snap does; the base file then
/// goes with the diff's state file.
struct SnapshotRebase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot-rebase",
        abstract: "Write a diff snapshot's memory pages onto the full memory file it follows.")

    @Option(help: ArgumentHelp("The full memory file (changed in place).", valueName: "file"))
    var base: String

    @Option(help: ArgumentHelp("The diff snapshot's memory file.", valueName: "file"))
    var diff: String

    func run() throws {
        do {
            try MemorySnapshot.rebase(diff: diff, onto: base)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}
