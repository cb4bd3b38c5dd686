@testable import CPUModel
import Testing

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws(CPUIDPolicyError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse("""
             { "a": [1, -2, 0, 1.5, 2e3, 9223372036854775807, 9223372036854775808],
               "b": "x\\"y\\\\z\\/\\n\\u0041\\t", "c": true, "d": false, "e": null, "f": {}, "g": [] }
            """)
        #expect(value == .object([
            "a": .array([.integer(1), .integer(-2), .integer(0), .number(1.5), .number(2000),
                         .integer(.max), .number(9_223_372_036_854_775_808)]),
            "b": .string("x\"y\\z/\nA\t"), "c": .bool(true), "d": .bool(false), "e": .null,
            "f": .object([:]), "g": .array([]),
        ]))
        #expect(try parse(" \n[ ]\n ") == .array([]))
        #expect(try parse("\"caf\u{e9}\"") == .string("caf\u{e9}"))
    }

    @Test(arguments: [
        ("[1,,2]", "line 1, column 4: expected a value, found ','"),
        ("{leaf: 7,", "line 1, column 2: expected a field name in double quotes, found 'l'"),
        ("[\n  {\"leaf\" 7}\n]", "line 2, column 11: expected ':' after field \"leaf\", found '7'"),
        ("[1] x", "line 1, column 5: unexpected text after the JSON value, found 'x'"),
        ("[\"abc", "line 1, column 6: unterminated string, found the end of the file"),
        ("[07]", "line 1, column 2: a number must not start with 0"),
        ("{\"a\": 1, \"a\": 2}", "field \"a\" appears twice"),
        ("[1 2]", "expected ',' or ']' in an array, found '2'"),
        ("[tru]", "expected true"),
        ("[\"\\q\"]", "unknown escape in a string"),
        ("[-]", "expected a digit"),
        ("[1.]", "expected a digit after '.'"),
        ("", "line 1, column 1: expected a value, found the end of the file"),
    ])
    func errorsSayWhatAndWhere(text: String, message: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted \(text)")
        } catch {
            guard case .invalidJSON(let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains(message), "\(reason)")
        }
    }

    @Test func deepNestingIsRefused() {
        let text = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: CPUIDPolicyError.self) { try parse(text) }
        let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(throws: Never.self) { try parse(fine) }
    }
}
