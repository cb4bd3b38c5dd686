import Logging

/// A log handler that passes lines to another one while a `LogBudget` lasts; each
/// line is charged its message, label and metadata plus 40 bytes for the time stamp
/// and level (the wrapped handler's exact format is its own).
public struct BudgetedLogHandler: LogHandler {
    private var wrapped: any LogHandler
    private let budget: LogBudget
    private let label: String

    public init(wrapping handler: any LogHandler, label: String, budget: LogBudget) {
        self.wrapped = handler
        self.budget = budget
        self.label = label
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        let cost = event.message.description.utf8.count + label.utf8.count + 40
            + (event.metadata.map { "\($0)".utf8.count } ?? 0)
        switch budget.take(cost) {
        case .write:
            wrapped.log(event: event)
        case .writeNotice:
            var notice = event
            notice.level = .error
            notice.message = "\(budget.notice)"
            notice.metadata = nil
            wrapped.log(event: notice)
        case .drop:
            break
        }
    }
}
