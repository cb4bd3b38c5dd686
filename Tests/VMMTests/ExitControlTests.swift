import KVM
import Testing
@testable import VMM

@Suite struct ExitControlTests {
    @Test func haltModes() throws {
        #expect(try HaltMode.parse("in-kernel") == .inKernel)
        #expect(try HaltMode.parse("guest") == .guest)
        #expect(try HaltMode.parse("poll") == .poll(nanoseconds: HaltMode.defaultPollNanoseconds))
        #expect(try HaltMode.parse("poll=250000") == .poll(nanoseconds: 250_000))
        for bad in ["exit", "poll=", "poll=0", "poll=x", "poll=20000000000", ""] {
            #expect { try HaltMode.parse(bad) } throws: { "\($0)".contains("--halt \(bad)") && "\($0)".contains("expected in-kernel") }
        }
        #expect(HaltMode.poll(nanoseconds: 5).description == "poll=5")
    }

    @Test func coalescedZones() throws {
        #expect(try CoalescedZone.parse("pio:0x10:1") == CoalescedZone(space: .port, address: 0x10, size: 1))
        #expect(try CoalescedZone.parse("mmio:0xd0000000:4096") == CoalescedZone(space: .mmio, address: 0xD000_0000, size: 4096))
        let cases: [(String, String)] = [
            ("pio:0x10", "expected mmio:ADDRESS:SIZE"),
            ("io:0x10:1", "the space must be mmio or pio, not 'io'"),
            ("pio:zz:1", "'zz' is not an address"),
            ("pio:0x10:0", "'0' is not a size"),
            ("pio:0xffff:2", "ports end at 0xffff"),
            ("mmio:0xffffffffffffffff:2", "wraps past the end"),
        ]
        for (text, message) in cases {
            #expect { try CoalescedZone.parse(text) } throws: { "\($0)".contains("--coalesced \(text)") && "\($0)".contains(message) }
        }
    }
}
