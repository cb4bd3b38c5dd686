import API
import ArgumentParser

/// Firecracker's process options: where the API listens, a configuration file to
/// boot from, and the limits of the API.
struct APIOptions: ParsableArguments {
    @Option(name: .customLong("api-sock"),
            help: ArgumentHelp("Serve Firecracker's REST API (HTTP/1.1) on this Unix socket before booting "
                               + "(docs/api.md).", valueName: "path"))
    var socketPath: String?

    @Option(name: .customLong("config-file"),
            help: ArgumentHelp("Boot from Firecracker's JSON VM configuration (boot-source, drives, machine-config, "
                               + "...) at once.", valueName: "file"))
    var configFile: String?

    @Flag(name: .customLong("no-api"), help: "With --config-file: serve no API socket.")
    var noAPI = false

    @Option(help: ArgumentHelp("The instance ID GET / reports.", valueName: "id"))
    var id: String = "anonymous-instance"

    @Option(name: .customLong("http-api-max-payload-size"),
            help: ArgumentHelp("The largest API request body, in bytes.", valueName: "bytes"))
    var maxBodySize: Int = APIServer.defaultMaxBodySize

    /// Whether the process runs as Firecracker does (API or configuration file)
    /// rather than booting `--kernel` directly.
    var isControlMode: Bool { socketPath != nil || configFile != nil }

    func validate() throws {
        if noAPI && configFile == nil {
            throw ValidationError("--no-api needs --config-file: without it nothing would configure the VM")
        }
        if noAPI && socketPath != nil { throw ValidationError("--no-api and --api-sock exclude each other") }
        guard maxBodySize > 0, maxBodySize <= 16 << 20 else {
            throw ValidationError("--http-api-max-payload-size must be between 1 and 16 MiB, not \(maxBodySize)")
        }
    }
}
