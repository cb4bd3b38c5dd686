/// A coding key for any string: used to see every key an object has.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension Decoder {
    /// A keyed container that refuses keys `Keys` does not name, like serde's
    /// `deny_unknown_fields`: the error names the unknown field and the allowed ones.
    func strictContainer<Keys: CodingKey & CaseIterable>(
        keyedBy: Keys.Type, object: String
    ) throws -> KeyedDecodingContainer<Keys> {
        let all = try container(keyedBy: AnyKey.self)
        let allowed = Keys.allCases.map(\.stringValue)
        for key in all.allKeys where !allowed.contains(key.stringValue) {
            let expected = allowed.map { "`\($0)`" }.joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath,
                    debugDescription: "unknown field `\(key.stringValue)` in \(object), expected one of \(expected)"
                )
            )
        }
        return try container(keyedBy: Keys.self)
    }

    /// Throws a decoding error at this decoder's path.
    func invalid(_ message: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: message))
    }
}

/// A string enumeration whose decoding error lists the accepted values.
public protocol StringEnumeration: RawRepresentable<String>, CaseIterable, Codable, Sendable {}

extension StringEnumeration {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            let expected = Self.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw decoder.invalid("invalid value \"\(text)\", expected one of \(expected)")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Renders a coding path as `drives[0].rate_limiter`.
func renderPath(_ path: [any CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return text
}

/// One sentence for a decoding error: what is wrong, and at which field.
func describe(_ error: any Error) -> String {
    guard let decoding = error as? DecodingError else {
        return String(describing: error)
    }
    func at(_ context: DecodingError.Context) -> String {
        let path = renderPath(context.codingPath)
        return path.isEmpty ? "" : " (at `\(path)`)"
    }
    switch decoding {
    case .keyNotFound(let key, let context):
        let path = renderPath(context.codingPath + [key])
        return "missing field `\(path)`"
    case .valueNotFound(_, let context):
        return "`\(renderPath(context.codingPath))` must not be null"
    case .typeMismatch(let type, let context):
        if context.codingPath.isEmpty {
            return "expected \(typeName(type)) at the top level"
        }
        return "invalid type for `\(renderPath(context.codingPath))`: expected \(typeName(type))"
    case .dataCorrupted(let context):
        if context.codingPath.isEmpty, context.debugDescription.contains("not valid JSON") {
            let detail = context.underlyingError.map { ": \($0)" } ?? ""
            return "malformed JSON (the text is not valid JSON\(detail))"
        }
        return context.debugDescription + at(context)
    @unknown default:
        return String(describing: decoding)
    }
}

private func typeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Bool.Type: return "a boolean"
    case is Int.Type, is UInt32.Type, is UInt64.Type, is Int64.Type, is UInt8.Type, is UInt16.Type:
        return "an integer"
    default:
        let name = String(describing: type)
        if name.hasPrefix("Array") { return "an array" }
        if name.hasPrefix("Dictionary") { return "a JSON object" }
        return "an object (\(name))"
    }
}
