/// The VMM's log destination and level (`PUT /logger`; Firecracker's `Logger`).
///
/// Named `LoggerConfig` so it does not clash with swift-log's `Logger`.
public struct LoggerConfig: Codable, Equatable, Sendable {
    /// Log levels Firecracker accepts (case-insensitive on input).
    public static let levels = ["Error", "Warning", "Info", "Debug", "Trace", "Off"]

    /// The level named by `text` in its canonical spelling, or nil. Case is ignored, and
    /// `Warn` (the `log` crate's name, which Firecracker also accepts) means `Warning`.
    public static func canonicalLevel(_ text: String) -> String? {
        let lowered = text.lowercased()
        if lowered == "warn" { return "Warning" }
        return levels.first { $0.lowercased() == lowered }
    }

    public var logPath: String?
    /// One of `levels`, normalized to its capitalized spelling.
    public var level: String?
    public var showLevel: Bool?
    public var showLogOrigin: Bool?
    public var module: String?

    public init(
        logPath: String? = nil, level: String? = nil, showLevel: Bool? = nil,
        showLogOrigin: Bool? = nil, module: String? = nil
    ) {
        self.logPath = logPath
        self.level = level
        self.showLevel = showLevel
        self.showLogOrigin = showLogOrigin
        self.module = module
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case logPath = "log_path", level, showLevel = "show_level", showLogOrigin = "show_log_origin", module
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "Logger")
        logPath = try c.decodeIfPresent(String.self, forKey: .logPath)
        if let text = try c.decodeIfPresent(String.self, forKey: .level) {
            guard let match = Self.canonicalLevel(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .level, in: c,
                    debugDescription: "invalid log level \"\(text)\", expected one of \(Self.levels.joined(separator: ", ")) (or Warn)"
                )
            }
            level = match
        } else {
            level = nil
        }
        showLevel = try c.decodeIfPresent(Bool.self, forKey: .showLevel)
        showLogOrigin = try c.decodeIfPresent(Bool.self, forKey: .showLogOrigin)
        module = try c.decodeIfPresent(String.self, forKey: .module)
    }
}

/// Where the VMM writes its JSON metrics (`PUT /metrics`; Firecracker's `Metrics`).
public struct MetricsConfig: Codable, Equatable, Sendable {
    public var metricsPath: String

    public init(metricsPath: String) { self.metricsPath = metricsPath }

    enum CodingKeys: String, CodingKey, CaseIterable { case metricsPath = "metrics_path" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "Metrics")
        metricsPath = try c.decode(String.self, forKey: .metricsPath)
    }
}
