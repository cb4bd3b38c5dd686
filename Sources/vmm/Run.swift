import ArgumentParser
import Loader
import Memory
import VMM

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot a kernel (multiboot, ELF or flat binary); the demo guest when none is given.")

    @OptionGroup var options: RunOptions
    @OptionGroup(title: "Firecracker API") var api: APIOptions

    func run() throws {
        if api.isControlMode {
            if options.kernel != nil {
                throw ValidationError("--kernel with --api-sock/--config-file: give the kernel in the boot source")
            }
            options.bootstrapLogging(firecrackerStyle: true)
            throw ExitCode(ControlSession(options: options, api: api).run())
        }
        let configuration = try options.machineConfiguration()
        options.bootstrapLogging()
        let session = RunSession(options: options, showStats: options.stats || options.kernel == nil)
        throw ExitCode(session.run(configuration))
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot the built-in demo guest and print its exit profile.")

    @Option(name: .customLong("stats-json"), help: ArgumentHelp("Also write the exit statistics as JSON.", valueName: "file"))
    var statsJSON: String?

    @Option(help: "Stop the VM after this many seconds.")
    var timeout: Double?

    func run() throws {
        // The demo is `run` with no kernel; reuse its parsing and validation.
        var arguments: [String] = []
        if let statsJSON { arguments += ["--stats-json", statsJSON] }
        if let timeout { arguments += ["--timeout", String(timeout)] }
        let options = try RunOptions.parse(arguments)
        let session = RunSession(options: options, showStats: true)
        throw ExitCode(session.run(try options.machineConfiguration()))
    }
}
