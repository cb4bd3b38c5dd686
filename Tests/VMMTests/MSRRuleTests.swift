import KVM
import Testing
@testable import VMM

@Suite struct MSRRuleTests {
    @Test func parsesEachActionAndRange() throws {
        #expect(try MSRRule.parse("0x175:rw:record")
            == MSRRule(first: 0x175, reads: true, writes: true, action: .record(initial: 0)))
        #expect(try MSRRule.parse("0x1A0:w:value=0x42")
            == MSRRule(first: 0x1A0, reads: false, writes: true, action: .value(0x42)))
        #expect(try MSRRule.parse("0xc0000080-0xc0000084:r:gp")
            == MSRRule(first: 0xC000_0080, last: 0xC000_0084, reads: true, writes: false, action: .generalProtection))
        #expect(try MSRRule.parse("16:rw:allow") == MSRRule(first: 16, reads: true, writes: true, action: .allow))
        #expect(try MSRRule.parse("0x175:r:record=7").action == .record(initial: 7))
    }

    @Test func descriptionsParseBackToTheSameRule() throws {
        for text in ["0x175:rw:record", "0x200-0x20f:w:gp", "0x10:r:value=0xffffffffffffffff", "0x3a:rw:record=0x5",
                     "0x1:rw:allow"] {
            let rule = try MSRRule.parse(text)
            #expect(rule.description == text)
            #expect(try MSRRule.parse(rule.description) == rule)
        }
    }

    @Test func badRulesNameTheBadPart() {
        let cases: [(String, String)] = [
            ("0x175", "expected FIRST[-LAST]:r|w|rw:ACTION"),
            ("zz:rw:gp", "'zz' is not an MSR index or range"),
            ("0x100000000:rw:gp", "'0x100000000' is not an MSR index or range"),
            ("0x20-0x10:rw:gp", "the range ends before it starts"),
            ("0x0-0x4000:rw:gp", "a range covers at most 12288 MSRs"),
            ("0x175:x:gp", "accesses must be r, w or rw, not 'x'"),
            ("0x175:rw:emulate", "action must be allow, gp, value=V, record or record=V, not 'emulate'"),
            ("0x175:rw:value=", "'' is not a 64-bit value"),
            ("0x175:rw:value=0x1ffffffffffffffff", "is not a 64-bit value"),
            ("0x175:rw:gp=1", "action must be"),
        ]
        for (text, message) in cases {
            #expect { try MSRRule.parse(text) } throws: { error in
                "\(error)".contains("--msr \(text)") && "\(error)".contains(message)
            }
        }
    }

    @Test func rulesBecomeKVMFilterRangesInOrder() throws {
        let rules = [try MSRRule.parse("0x175:rw:allow"), try MSRRule.parse("0x170-0x17f:w:record")]
        #expect(try MSRRule.filterRanges(rules) == [
            MSRFilterRange(base: 0x175, count: 1, reads: true, writes: true, allowed: true),
            MSRFilterRange(base: 0x170, count: 16, reads: false, writes: true, allowed: false),
        ])
        let tooMany = (0..<17).map { MSRRule(first: UInt32($0), reads: true, writes: true, action: .generalProtection) }
        #expect { try MSRRule.filterRanges(tooMany) } throws: { "\($0)".contains("at most 16") }
    }
}
