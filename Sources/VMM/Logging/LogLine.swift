import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The text of one log line, in Firecracker's layout:
///
///     2024-05-06T07:08:09.123456789Z [swift-vmm:LABEL:LEVEL:FILE:LINE] message key=value
///
/// `:LEVEL` appears with `show_level`, `:FILE:LINE` with `show_log_origin`;
/// LABEL is the swift-log label of the logger that wrote it (where Firecracker
/// shows its thread name). Metadata follows the message, sorted by key.
public enum LogLine {
    /// The prefix inside the brackets, where Firecracker puts its instance id.
    public static let application = "swift-vmm"

    /// Formats one line, ending in "\n".
    public static func format(
        time: timespec, label: String, level: Logger.Level, file: String, line: UInt,
        message: String, metadata: Logger.Metadata, showLevel: Bool, showOrigin: Bool
    ) -> String {
        var text = timestamp(time) + " [" + application + ":" + label
        if showLevel { text += ":" + name(of: level) }
        if showOrigin { text += ":\(file):\(line)" }
        text += "] " + message
        for key in metadata.keys.sorted() {
            if let value = metadata[key] { text += " \(key)=\(value)" }
        }
        return text + "\n"
    }

    /// Firecracker's level names; swift-log's `notice` and `critical` keep theirs.
    public static func name(of level: Logger.Level) -> String {
        switch level {
        case .trace: return "TRACE"
        case .debug: return "DEBUG"
        case .info: return "INFO"
        case .notice: return "NOTICE"
        case .warning: return "WARN"
        case .error: return "ERROR"
        case .critical: return "CRITICAL"
        }
    }

    /// RFC 3339 in UTC with nanoseconds: `2024-05-06T07:08:09.123456789Z`.
    public static func timestamp(_ time: timespec) -> String {
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return padded(Int(parts.tm_year) + 1900, 4) + "-" + padded(Int(parts.tm_mon) + 1, 2) + "-"
            + padded(Int(parts.tm_mday), 2) + "T" + padded(Int(parts.tm_hour), 2) + ":"
            + padded(Int(parts.tm_min), 2) + ":" + padded(Int(parts.tm_sec), 2) + "."
            + padded(Int(time.tv_nsec), 9) + "Z"
    }

    /// The wall clock now.
    public static func now() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
