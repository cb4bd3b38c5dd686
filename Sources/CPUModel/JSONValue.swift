/// Any JSON value, parsed without a schema so that each field can be checked
/// and reported by name.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `bytes`; the error says what was expected and where (line and column).
    static func parse(_ bytes: [UInt8]) throws(CPUIDPolicyError) -> JSONValue {
        try JSONParser.parse(bytes)
    }

    /// What kind of value this is, for error messages.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
