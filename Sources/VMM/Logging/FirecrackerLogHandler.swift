import Logging

/// A swift-log handler that writes Firecracker-style lines (`LogLine`) to a
/// shared, reconfigurable `LogSink`.
///
/// ```swift
/// FirecrackerLogHandler.bootstrap()                 // once, at start-up
/// try LogSink.shared.configure(LoggerConfiguration(  // later, e.g. PUT /logger
///     logPath: "/tmp/vmm.log", level: .info, showLevel: true))
/// ```
///
/// The sink's level decides what is written; `logLevel` follows it unless a
/// logger sets its own, which can only make that logger quieter.
public struct FirecrackerLogHandler: LogHandler {
    public let label: String
    public let sink: LogSink
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private var ownLevel: Logger.Level?

    public init(label: String, sink: LogSink = .shared) {
        self.label = label
        self.sink = sink
    }

    /// Makes every `Logger` in the process use this handler with `sink`. Call once.
    public static func bootstrap(sink: LogSink = .shared) {
        LoggingSystem.bootstrap { label in FirecrackerLogHandler(label: label, sink: sink) }
    }

    public var logLevel: Logger.Level {
        get { ownLevel ?? sink.level.minimumLevel ?? .critical }
        set { ownLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        sink.write(label: label, level: event.level, message: event.message, metadata: merged,
                   file: event.file, line: event.line)
    }
}
