@testable import VMM
@testable import vmm
import Testing

@Suite struct VsockConfigurationTests {
    @Test func parsesCIDAndPathInAnyOrder() throws {
        #expect(try VsockConfiguration.parse("cid=3,uds=/tmp/v.sock") == VsockConfiguration(guestCID: 3, udsPath: "/tmp/v.sock"))
        #expect(try VsockConfiguration.parse("uds=/run/x,cid=4294967294").guestCID == 4_294_967_294)
        let options = try RunOptions.parse(["--kernel", "g.elf", "--vsock", "cid=9,uds=/tmp/a"])
        #expect(try options.machineConfiguration().vsock == VsockConfiguration(guestCID: 9, udsPath: "/tmp/a"))
        #expect(try RunOptions.parse([]).machineConfiguration().vsock == nil)
    }

    @Test(arguments: [
        ("cid=0,uds=/tmp/v", "cid 0 is reserved"),
        ("cid=2,uds=/tmp/v", "cid 2 is reserved"),
        ("cid=4294967295,uds=/tmp/v", "cid 4294967295 is reserved"),
        ("cid=4294967296,uds=/tmp/v", "cid '4294967296' is not a decimal number below 2^32"),
        ("cid=-3,uds=/tmp/v", "cid '-3' is not a decimal number"),
        ("cid=0x10,uds=/tmp/v", "cid '0x10' is not a decimal number"),
        ("uds=/tmp/v", "cid= is missing in 'uds=/tmp/v'"),
        ("cid=3", "uds= is missing in 'cid=3'"),
        ("cid=3,uds=", "uds= is empty"),
        ("cid=3,cid=4,uds=/tmp/v", "cid= is given twice"),
        ("cid=3,uds=/a,uds=/b", "uds= is given twice"),
        ("cid=3,uds=/tmp/v,mode=x", "unknown key 'mode' in 'cid=3,uds=/tmp/v,mode=x'"),
        ("cid=3,/tmp/v", "'/tmp/v' in 'cid=3,/tmp/v' is not KEY=VALUE"),
        ("", "'' in '' is not KEY=VALUE"),
    ])
    func errorsNameTheBadPart(text: String, message: String) {
        do {
            _ = try VsockConfiguration.parse(text)
            Issue.record("accepted '\(text)'")
        } catch {
            #expect("\(error)".hasPrefix("invalid --vsock: "), "\(error)")
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func pathMustLeaveRoomForThePortSuffix() throws {
        // sun_path: 108 bytes with the NUL; "_4294967295" takes 11: 96 bytes of path at most.
        let longest = "/" + String(repeating: "p", count: 95)
        #expect(try VsockConfiguration.parse("cid=3,uds=\(longest)").udsPath == longest)
        #expect(throws: VMMError.self) { try VsockConfiguration.parse("cid=3,uds=\(longest)p") }
        #expect(UnixSocket.address(longest + "_4294967295") != nil)
        #expect(UnixSocket.address(longest + "p_4294967295") == nil)
    }

    @Test func connectLines() {
        func parse(_ text: String) -> UInt32? { VsockHandshake.parse(Array(text.utf8)) }
        #expect(parse("CONNECT 52") == 52)
        #expect(parse("CONNECT 0") == 0)
        #expect(parse("CONNECT 4294967295") == UInt32.max)
        for bad in ["CONNECT 4294967296", "CONNECT", "CONNECT ", "connect 52", "CONNECT 52 ", "CONNECT  52",
                    "CONNECT -1", "CONNECT 0x10", "CONNECT 00000000052", "OK 52", ""] {
            #expect(parse(bad) == nil, "'\(bad)'")
        }
        #expect(VsockHandshake.printable([0x41, 0x0D, 0x27, 0xFF]) == "A\\x0d\\x27\\xff")
    }
}
