/// The settings of Firecracker's `PUT /logger`, as plain data (the API target decodes
/// the JSON body; this is what the VMM applies). Each field left nil
/// keeps the logger's current setting, as Firecracker's logger update does.
public struct LoggerConfiguration: Sendable, Equatable {
    /// A file or FIFO to append log lines to (opened `O_APPEND | O_NONBLOCK`).
    public var logPath: String?
    /// The most verbose level written.
    public var level: LogLevelFilter?
    /// Whether each line shows the message's level.
    public var showLevel: Bool?
    /// Whether each line shows the file and line the message came from.
    public var showLogOrigin: Bool?
    /// Only loggers whose label starts with this are written (nil or "": all).
    public var module: String?

    public init(logPath: String? = nil, level: LogLevelFilter? = nil, showLevel: Bool? = nil,
                showLogOrigin: Bool? = nil, module: String? = nil) {
        self.logPath = logPath
        self.level = level
        self.showLevel = showLevel
        self.showLogOrigin = showLogOrigin
        self.module = module
    }
}

/// Why a logger configuration was refused.
public enum LoggerConfigurationError: Error, Equatable, CustomStringConvertible {
    /// A level name Firecracker does not know.
    case invalidLevel(String)
    /// The log path could not be opened.
    case destination(FileDestinationError)

    public var description: String {
        switch self {
        case .invalidLevel(let text):
            return "invalid log level \"\(text)\": expected one of Error, Warning (or Warn), Info, Debug, Trace, Off"
        case .destination(let error):
            return error.description
        }
    }
}
