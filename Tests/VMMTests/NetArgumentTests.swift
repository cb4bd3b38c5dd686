@testable import vmm
import Testing
import VMM

@Suite struct NetArgumentTests {
    @Test func parsesTapAndMAC() throws {
        let options = try RunOptions.parse(["--net", "tap=vmtap0", "--net", "tap=vmtap1,mac=02:AB:cd:00:00:01"])
        let nets = try options.machineConfiguration().nets
        #expect(nets.map(\.tap) == ["vmtap0", "vmtap1"])
        #expect(nets[0].mac == nil)
        #expect(nets[1].mac?.bytes == [0x02, 0xAB, 0xCD, 0, 0, 1])
        #expect(nets[1].mac?.description == "02:ab:cd:00:00:01")
        #expect(try NetConfiguration.parse("mac=02:00:00:00:00:09,tap=x") == NetConfiguration(
            tap: "x", mac: MACAddress(bytes: [2, 0, 0, 0, 0, 9])))
    }

    /// Each bad value is refused with a message naming --net and the bad part.
    @Test(arguments: [
        ("tap=abcdefghijklmnop", "16 bytes"),
        ("tap=", "needs an interface name"),
        ("tap=a/b", "not a valid interface name"),
        ("bogus=1", "unknown key 'bogus'"),
        ("tap=t0,speed=10", "unknown key 'speed'"),
        ("tap0", "'tap0' in 'tap0' is not KEY=VALUE"),
        ("mac=02:00:00:00:00:01", "names no TAP device"),
        ("tap=t0,tap=t1", "gives tap= twice"),
        ("tap=t0,mac=02:00:00:00:00", "mac=02:00:00:00:00 is not a MAC address"),
        ("tap=t0,mac=02:00:00:00:00:0g", "is not a MAC address"),
        ("tap=t0,mac=2:0:0:0:0:1", "is not a MAC address"),
        ("tap=t0,mac=03:00:00:00:00:01", "multicast"),
        ("tap=t0,mac=ff:ff:ff:ff:ff:ff", "multicast"),
        ("tap=t0,mac=00:00:00:00:00:00", "all-zero"),
    ])
    func rejectsBadValues(value: String, fragment: String) throws {
        let options = try RunOptions.parse(["--net", value])
        do {
            _ = try options.machineConfiguration()
            Issue.record("accepted --net \(value)")
        } catch {
            let message = RunOptions.message(for: error)
            #expect(message.contains("--net"), "\(message)")
            #expect(message.contains(fragment), "\(message)")
        }
    }

    @Test func generatedMACsAreLocalUnicastAndDiffer() {
        let a = MACAddress.generated(tap: "vmtap0", index: 0)
        let b = MACAddress.generated(tap: "vmtap1", index: 1)
        let c = MACAddress.generated(tap: "vmtap0", index: 1)
        for mac in [a, b, c] {
            #expect(mac.bytes.count == 6)
            #expect(mac.bytes[0] == 0x02, "locally administered, unicast")
        }
        #expect(a != b && a != c && b != c)
        #expect(a == MACAddress.generated(tap: "vmtap0", index: 0), "stable for the same device")
    }
}
