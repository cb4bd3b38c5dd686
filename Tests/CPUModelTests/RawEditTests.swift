import CPUModel
import Testing

@Suite struct RawEditTests {
    private func parse(_ json: String) throws(CPUIDPolicyError) -> [CPUIDEdit] { try CPUIDEditFile.parse(Array(json.utf8)) }

    private func expectError(_ json: String, _ expected: CPUIDPolicyError,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) { try parse(json) }
    }

    @Test func parsesTheThreeForms() throws {
        let edits = try parse("""
            [ {"leaf": "0x7", "subleaf": 0, "register": "ebx", "bit": 5, "value": 0},
              {"leaf": "0x80000001", "register": "ECX", "mask": "0x21", "value": "0x1", "comment": "lahf only"},
              {"leaf": 1, "register": "eax", "value": "0x000806f8"},
              {"leaf": "13", "subleaf": "1", "register": "eax", "bit": 0, "value": true} ]
            """)
        #expect(edits == [
            CPUIDEdit(leaf: 7, register: .ebx, mask: 0x20, value: 0),
            CPUIDEdit(leaf: 0x8000_0001, register: .ecx, mask: 0x21, value: 0x1),
            CPUIDEdit(leaf: 1, register: .eax, value: 0x0008_06F8),
            CPUIDEdit(leaf: 0xD, subleaf: 1, register: .eax, mask: 1, value: 1),
        ])
        #expect(try parse("[]").isEmpty)
    }

    @Test func notJSONIsAClearError() throws {
        do {
            _ = try parse("[{\"leaf\": 7,, }]")
            Issue.record("accepted broken JSON")
        } catch {
            guard case .invalidJSON(let reason) = error else { Issue.record("\(error)"); return }
            #expect(!reason.isEmpty)
            #expect(error.option == "--cpuid-file")
        }
        #expect(throws: CPUIDPolicyError.self) { try parse("") }
        #expect(throws: CPUIDPolicyError.self) { try parse("leaf=7") }
    }

    @Test func theTopLevelMustBeAnArrayOfObjects() {
        #expect(throws: CPUIDPolicyError.self) { try parse("{\"leaf\": 7}") }
        expectError("[7]", .invalidEdit(index: 0, field: "(entry)", reason: "expected an object, found a number"))
    }

    @Test func fieldErrorsNameTheEntryAndField() throws {
        let cases: [(String, Int, String)] = [
            ("[{\"register\": \"eax\", \"value\": 1}]", 0, "leaf"),
            ("[{\"leaf\": 1, \"value\": 1}]", 0, "register"),
            ("[{\"leaf\": 1, \"register\": \"eax\"}]", 0, "value"),
            ("[{\"leaf\": 1, \"register\": \"eax\", \"value\": 1}, {\"leaf\": 1, \"register\": \"exx\", \"value\": 1}]",
             1, "register"),
            ("[{\"leaf\": 1, \"register\": \"ecx\", \"bit\": 32, \"value\": 1}]", 0, "bit"),
            ("[{\"leaf\": 1, \"register\": \"ecx\", \"bit\": -1, \"value\": 1}]", 0, "bit"),
            ("[{\"leaf\": 1, \"register\": \"ecx\", \"bit\": 3, \"value\": 2}]", 0, "value"),
            ("[{\"leaf\": 1, \"register\": \"ecx\", \"bit\": 3, \"mask\": 8, \"value\": 1}]", 0, "mask"),
            ("[{\"leaf\": 1, \"register\": \"ecx\", \"mask\": \"0xf0\", \"value\": \"0x1\"}]", 0, "value"),
            ("[{\"leaf\": \"0xzz\", \"register\": \"ecx\", \"value\": 1}]", 0, "leaf"),
            ("[{\"leaf\": 1.5, \"register\": \"ecx\", \"value\": 1}]", 0, "leaf"),
            ("[{\"leaf\": 4294967296, \"register\": \"ecx\", \"value\": 1}]", 0, "leaf"),
            ("[{\"leaf\": 1, \"subleaf\": true, \"register\": \"ecx\", \"value\": 1}]", 0, "subleaf"),
            ("[{\"leaf\": 1, \"regster\": \"ecx\", \"value\": 1}]", 0, "regster"),
            ("[{\"leaf\": 1, \"register\": \"ecx\", \"value\": 1, \"comment\": 5}]", 0, "comment"),
        ]
        for (json, index, field) in cases {
            do {
                _ = try parse(json)
                Issue.record("accepted \(json)")
            } catch {
                guard case .invalidEdit(let gotIndex, let gotField, _) = error else {
                    Issue.record("\(json): \(error)")
                    continue
                }
                #expect(gotIndex == index, "\(json)")
                #expect(gotField == field, "\(json)")
                #expect(error.description.contains("edit \(index), field '\(field)'"))
            }
        }
    }

    @Test func bitOutOfRangeSaysSo() {
        expectError("[{\"leaf\": 1, \"register\": \"ecx\", \"bit\": 40, \"value\": 1}]",
                    .invalidEdit(index: 0, field: "bit", reason: "40 is out of range (0-31)"))
    }

    private func apply(_ edits: [CPUIDEdit], template: CPUTemplate = .host,
                       supported: CPUIDTable = SampleTables.rich) throws -> CPUIDTable {
        try CPUIDPolicy(template: template, edits: edits).apply(to: supported).table
    }

    @Test func editsApplyInOrderAfterTheTemplate() throws {
        let table = try apply([
            CPUIDEdit(leaf: 1, register: .eax, value: 0x0008_06F8),
            CPUIDEdit(leaf: 1, register: .ecx, bit: 13, on: false),
            CPUIDEdit(leaf: 1, register: .ecx, bit: 13, on: true),
            CPUIDEdit(leaf: 7, register: .ebx, bit: 5, on: false),
        ])
        #expect(table.entry(function: 1)?.eax == 0x0008_06F8)
        #expect(table.isSet(.leaf1ECX, bit: 13))
        #expect(!table.isSet(.leaf7EBX, bit: 5))
    }

    @Test func anEditOfAnUnknownLeafNamesIt() {
        let edits = [CPUIDEdit(leaf: 1, register: .ecx, bit: 13, on: false),
                     CPUIDEdit(leaf: 0x7, subleaf: 3, register: .ebx, bit: 0, on: false)]
        #expect(throws: CPUIDPolicyError.unknownLeaf(index: 1, leaf: 7, subleaf: 3)) { try apply(edits) }
        // The baseline template removed leaf 0x14.
        #expect(throws: CPUIDPolicyError.unknownLeaf(index: 0, leaf: 0x14, subleaf: 0)) {
            try apply([CPUIDEdit(leaf: 0x14, register: .eax, value: 0)], template: .baseline)
        }
        let message = CPUIDPolicyError.unknownLeaf(index: 1, leaf: 7, subleaf: 3).description
        #expect(message.contains("edit 1") && message.contains("0x7") && message.contains("subleaf 3"))
    }

    @Test func anEditCannotSetAFeatureBitKVMLacks() throws {
        #expect(throws: CPUIDPolicyError.unsupportedBits(index: 0, location: .leaf1ECX, bits: 1 << 28)) {
            try apply([CPUIDEdit(leaf: 1, register: .ecx, bit: 28, on: true)], supported: SampleTables.sparse)
        }
        #expect(throws: CPUIDPolicyError.self) {
            try apply([CPUIDEdit(leaf: 1, register: .ecx, bit: 27, on: true)])  // OSXSAVE
        }
        #expect(throws: CPUIDPolicyError.self) {
            try apply([CPUIDEdit(leaf: 0x4000_0001, register: .eax, bit: 16, on: true)])  // map GPA range
        }
        // Clearing is always allowed, and data registers take any value.
        _ = try apply([CPUIDEdit(leaf: 1, register: .ecx, value: 0), CPUIDEdit(leaf: 0x8000_0008, register: .eax, value: 0x3027)])
    }
}
