/// A strict JSON parser (RFC 8259) for small files, whose errors say what was
/// expected and where (line and column). No Foundation.
struct JSONParser {
    private let bytes: [UInt8]
    private var position = 0
    /// Nesting limit, so that a hostile file cannot exhaust the stack.
    private static let maximumDepth = 64

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) throws(CPUIDPolicyError) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.failure("unexpected text after the JSON value") }
        return value
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    /// "line L, column C: reason" for the current position.
    private func failure(_ reason: String) -> CPUIDPolicyError {
        let before = bytes[..<min(position, bytes.count)]
        let line = before.filter { $0 == UInt8(ascii: "\n") }.count + 1
        let column = before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
        let found = current.map { byte in
            (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        } ?? "the end of the file"
        return .invalidJSON("line \(line), column \(column): \(reason), found \(found)")
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    private mutating func value(depth: Int) throws(CPUIDPolicyError) -> JSONValue {
        guard depth < Self.maximumDepth else { throw failure("nested more than \(Self.maximumDepth) levels") }
        switch current {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte):
            return try number()
        default: throw failure("expected a value")
        }
    }

    private mutating func literal(_ word: String) throws(CPUIDPolicyError) {
        for expected in word.utf8 {
            guard current == expected else { throw failure("expected \(word)") }
            position += 1
        }
    }

    private mutating func object(depth: Int) throws(CPUIDPolicyError) -> JSONValue {
        position += 1
        var fields: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(fields)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a field name in double quotes") }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':' after field \"\(key)\"") }
            position += 1
            skipWhitespace()
            guard fields[key] == nil else { throw failure("field \"\(key)\" appears twice") }
            fields[key] = try value(depth: depth + 1)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
            } else if current == UInt8(ascii: "}") {
                position += 1
                return .object(fields)
            } else {
                throw failure("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func array(depth: Int) throws(CPUIDPolicyError) -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
            } else if current == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            } else {
                throw failure("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func string() throws(CPUIDPolicyError) -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll()
        }
        while true {
            guard let byte = current else { throw failure("unterminated string") }
            guard byte >= 0x20 else { throw failure("control character in a string") }
            position += 1
            if byte == UInt8(ascii: "\"") {
                flush()
                return String(scalars)
            }
            guard byte == UInt8(ascii: "\\") else {
                raw.append(byte)
                continue
            }
            flush()
            guard let escape = current else { throw failure("unterminated string") }
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                let code = try hex4()
                // A lone or paired surrogate becomes U+FFFD: field names and values here are ASCII.
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default:
                position -= 1
                throw failure("unknown escape in a string")
            }
        }
    }

    private mutating func hex4() throws(CPUIDPolicyError) -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = UInt32(String(Unicode.Scalar(byte)), radix: 16) else {
                throw failure("expected four hex digits after \\u")
            }
            code = code << 4 | digit
            position += 1
        }
        return code
    }

    private mutating func number() throws(CPUIDPolicyError) -> JSONValue {
        let start = position
        func digits() -> Int {
            let first = position
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
            return position - first
        }
        if current == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        guard digits() > 0 else { throw failure("expected a digit") }
        if bytes[integerStart] == UInt8(ascii: "0") && position - integerStart > 1 {
            position = integerStart
            throw failure("a number must not start with 0 (write hex as a string, e.g. \"0x7\")")
        }
        var integral = true
        if current == UInt8(ascii: ".") {
            position += 1
            integral = false
            guard digits() > 0 else { throw failure("expected a digit after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            integral = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw failure("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if integral, let integer = Int64(text) { return .integer(integer) }
        return .number(Double(text) ?? .nan)
    }
}
