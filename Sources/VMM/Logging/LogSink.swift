import Logging
import Synchronization

/// Where every `FirecrackerLogHandler` writes, and how: one per process,
/// reconfigurable while the VMM runs (`PUT /logger`).
///
/// `LoggingSystem.bootstrap` can run only once per process, so the handlers it
/// makes all point at one sink, and `configure` swaps the sink's destination and
/// settings under a lock. It starts on standard error at `warning`. Lines go out
/// with `O_NONBLOCK`: a FIFO nobody reads fills up, and then lines are dropped
/// and counted (`missedLineCount`, Firecracker's `missed_log_count`) rather than
/// blocking the thread that logs.
public final class LogSink: Sendable {
    /// The sink `FirecrackerLogHandler.bootstrap()` uses by default.
    public static let shared = LogSink()

    private struct Settings {
        var destination: AppendOnlyFile
        var showLevel = false
        var showOrigin = false
        var module = ""
        var budget = LogBudget(limit: ResourceLimits().logBytes)
    }

    private let settings: Mutex<Settings>
    /// `LogLevelFilter.rawValue`, read on every log call without the lock.
    private let filter: Atomic<Int>
    private let missed = Atomic<UInt64>(0)

    public init(destination: AppendOnlyFile = .standardError(), level: LogLevelFilter = .warning) {
        settings = Mutex(Settings(destination: destination))
        filter = Atomic(level.rawValue)
    }

    /// The most verbose level written now.
    public var level: LogLevelFilter {
        LogLevelFilter(rawValue: filter.load(ordering: .relaxed)) ?? .warning
    }

    /// Lines dropped because the destination would have blocked or failed.
    public var missedLineCount: UInt64 { missed.load(ordering: .relaxed) }

    /// Lines dropped because the log limit (`--limit log-bytes`) was reached.
    public var overLimitLineCount: UInt64 { settings.withLock { $0.budget.droppedLines } }

    /// Starts a new budget of `bytes` bytes of log lines (`--limit log-bytes`).
    public func setByteLimit(_ bytes: UInt64) {
        settings.withLock { $0.budget = LogBudget(limit: bytes) }
    }

    /// The path (or "stderr") lines go to now.
    public var destinationPath: String { settings.withLock { $0.destination.path } }

    /// Applies a `PUT /logger` body: opens the new path first, so a path that
    /// cannot be opened changes nothing; then every given field at once.
    public func configure(_ configuration: LoggerConfiguration) throws(LoggerConfigurationError) {
        var file: AppendOnlyFile?
        if let path = configuration.logPath {
            do { file = try AppendOnlyFile(path: path, what: "log file") } catch { throw .destination(error) }
        }
        settings.withLock { settings in
            if let file { settings.destination = file }
            if let showLevel = configuration.showLevel { settings.showLevel = showLevel }
            if let showOrigin = configuration.showLogOrigin { settings.showOrigin = showOrigin }
            if let module = configuration.module { settings.module = module }
            if let level = configuration.level { filter.store(level.rawValue, ordering: .relaxed) }
        }
    }

    /// Writes one message from the logger `label`, if the level and module allow it.
    func write(label: String, level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata,
               file: String, line: UInt) {
        guard self.level.allows(level) else { return }
        let time = LogLine.now()
        settings.withLock { settings in
            guard settings.module.isEmpty || label.hasPrefix(settings.module) else { return }
            let text = LogLine.format(time: time, label: label, level: level, file: file, line: line,
                                      message: message.description, metadata: metadata,
                                      showLevel: settings.showLevel, showOrigin: settings.showOrigin)
            var bytes = Array(text.utf8)
            switch settings.budget.take(bytes.count) {
            case .write: break
            case .writeNotice: bytes = Array((settings.budget.notice + "\n").utf8)
            case .drop: return
            }
            if !settings.destination.write(bytes) {
                missed.add(1, ordering: .relaxed)
            }
        }
    }
}
