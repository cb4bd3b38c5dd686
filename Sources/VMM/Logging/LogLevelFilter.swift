import Logging

/// The most verbose level a logger lets through, as Firecracker's `PUT /logger`
/// names it: `Off`, `Error`, `Warning`, `Info`, `Debug`, `Trace`.
public enum LogLevelFilter: Int, Sendable, CaseIterable, CustomStringConvertible {
    case off, error, warning, info, debug, trace

    /// Parses Firecracker's spellings, case-insensitively: the names above and
    /// `Warn`. Anything else is an error naming the accepted values.
    public init(parsing text: String) throws(LoggerConfigurationError) {
        switch text.lowercased() {
        case "off": self = .off
        case "error": self = .error
        case "warning", "warn": self = .warning
        case "info": self = .info
        case "debug": self = .debug
        case "trace": self = .trace
        default: throw .invalidLevel(text)
        }
    }

    public var description: String {
        switch self {
        case .off: return "Off"
        case .error: return "Error"
        case .warning: return "Warning"
        case .info: return "Info"
        case .debug: return "Debug"
        case .trace: return "Trace"
        }
    }

    /// The least severe swift-log level that passes (nil for `off`). swift-log's
    /// `notice` passes from `info` on, `critical` whenever `error` does.
    public var minimumLevel: Logger.Level? {
        switch self {
        case .off: return nil
        case .error: return .error
        case .warning: return .warning
        case .info: return .info
        case .debug: return .debug
        case .trace: return .trace
        }
    }

    /// Whether a message at `level` passes.
    public func allows(_ level: Logger.Level) -> Bool {
        guard let minimumLevel else { return false }
        return level >= minimumLevel
    }
}
