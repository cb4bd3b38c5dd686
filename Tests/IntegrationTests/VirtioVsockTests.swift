import Foundation
import Testing
import VMM

/// virtio-vsock end to end: the guest driver in virtio.elf against swift-vmm's
/// device and its Unix-socket multiplexer (Firecracker's model), with the test
/// as the host side: an echo server at PATH_1234 for the guest's connection,
/// and a client of PATH (CONNECT 5000) for the guest's listening port.
@Suite(requiresKVM) struct VirtioVsockTests {
    /// A socket path of this test run (short: sun_path holds 108 bytes).
    static func socketPath(_ name: String) -> String {
        "/tmp/vmm-vsock-\(getpid())-\(name)"
    }

    static func removeSockets(_ base: String) {
        for path in [base, base + "_1234"] { unlink(path) }
    }

    /// The guest's virtio-vsock lines, in order.
    static func vsockLines(_ output: String) -> [String] {
        output.split(separator: "\n").filter { $0.hasPrefix("virtio-vsock:") }.map(String.init)
    }

    static let summaryOK = "virtio: blk absent, rng absent, console absent, net absent, vsock ok\nvirtio: PASS\n"

    /// Connects to the VMM's socket as a host client, asks for guest port 5000,
    /// checks the `OK <port>` answer and the echo of `message`, and closes.
    static func echoThroughGuest(_ base: String, message: String) throws {
        let client = try SocketPeer.connect(path: base)
        defer { client.close() }
        try client.write("CONNECT 5000\n")
        let answer = try client.readLine()
        #expect(answer.wholeMatch(of: /OK [0-9]+\n/) != nil, "answer \(answer.debugDescription)")
        try client.write(message)
        let echo = try client.read(count: message.utf8.count)
        #expect(String(decoding: echo, as: UTF8.self) == message)
    }

    func run(_ base: String, commandLine: String, cid: Int = 3) throws -> VMMProcess {
        try VMMProcess(["run", "--kernel", try Environment.guest("virtio.elf"), "--memory", "64M",
                        "--vsock", "cid=\(cid),uds=\(base)", "--cmdline", commandLine, "--timeout", "60"])
    }

    @Test func guestAndHostInitiatedConnectionsEcho() throws {
        let base = Self.socketPath("echo")
        Self.removeSockets(base)
        defer { Self.removeSockets(base) }
        let server = EchoServer(listening: try SocketPeer.listen(path: base + "_1234"))
        defer { server.stop() }
        let vmm = try run(base, commandLine: "vsock=1234 vsock-listen=5000 need=vsock")
        let listening = vmm.waitForLine("virtio-vsock: listening on port 5000")
        #expect(listening, "\(vmm.stdout)")
        if listening {
            #expect(FileManager.default.fileExists(atPath: base), "the VMM listens at PATH while it runs")
            try Self.echoThroughGuest(base, message: "hello from the host, 31 bytes!\n")
        }
        let result = vmm.finish()
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(Self.vsockLines(result.stdout) == [
            "virtio-vsock: guest cid 3",
            "virtio-vsock: connected to 2:1234",
            "virtio-vsock: echo of 28 bytes matched",
            "virtio-vsock: closed the connection to 2:1234",
            "virtio-vsock: listening on port 5000",
            "virtio-vsock: accepted host connection on port 5000",
            "virtio-vsock: echoed 31 bytes back",
            "virtio-vsock: host shut the connection down",
            "virtio-vsock: ok",
        ])
        #expect(result.stdout.hasSuffix(Self.summaryOK))
        #expect(result.stdout.contains("virtio-mmio: vsock at 0xd0000000 irq 5 version 2"))
        #expect(server.connections == 1 && server.echoedBytes == 28)
        #expect(!result.stderr.contains("warning"), "no device warnings: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: base), "the VMM removes its socket when it exits")
    }

    @Test func refusedGuestConnectionGetsRSTAndTheVMMKeepsServing() throws {
        let base = Self.socketPath("refused")
        Self.removeSockets(base)
        defer { Self.removeSockets(base) }
        // Nobody listens at PATH_1234.
        let vmm = try run(base, commandLine: "vsock=1234 vsock-listen=5000")
        let listening = vmm.waitForLine("virtio-vsock: listening on port 5000")
        #expect(listening, "\(vmm.stdout)")
        if listening { try Self.echoThroughGuest(base, message: "still here") }
        let result = vmm.finish()
        #expect(result.status == 23, "V = 11 (EXIT_VSOCK): \(result.stdout)\n\(result.stderr)")
        #expect(Self.vsockLines(result.stdout) == [
            "virtio-vsock: guest cid 3",
            "virtio-vsock: FAIL: connection to 2:1234 refused (RST)",
            "virtio-vsock: listening on port 5000",
            "virtio-vsock: accepted host connection on port 5000",
            "virtio-vsock: echoed 10 bytes back",
            "virtio-vsock: host shut the connection down",
        ])
        #expect(result.stdout.hasSuffix("vsock FAILED\nvirtio: FAIL 11\n"))
        let refusal = "virtio-vsock: connection from guest port 49152 to host port 1234 refused: "
            + "cannot connect to \(base)_1234: No such file or directory"
        #expect(result.stderr.components(separatedBy: refusal).count == 2, "one log line: \(result.stderr)")
    }

    @Test func badHostClientsAreClosedAndGoodOnesStillServed() throws {
        let base = Self.socketPath("bad")
        Self.removeSockets(base)
        defer { Self.removeSockets(base) }
        let vmm = try run(base, commandLine: "vsock-listen=5000")
        let listening = vmm.waitForLine("virtio-vsock: listening on port 5000")
        #expect(listening, "\(vmm.stdout)")
        if listening {
            // A client that says nothing is closed after about 3 s.
            let silent = try SocketPeer.connect(path: base)
            let start = Date()
            #expect(silent.closedByPeer(), "a silent client is closed")
            #expect(Date().timeIntervalSince(start) < 5)
            silent.close()
            // Not a CONNECT line; no newline in 32 bytes: both are closed without an answer.
            for request in ["HELLO 5000\n", String(repeating: "x", count: 40)] {
                let client = try SocketPeer.connect(path: base)
                try client.write(request)
                #expect(client.closedByPeer(), "closed after \(request.debugDescription)")
                client.close()
            }
            // A port the guest does not listen on: the guest answers RST, the VMM closes the client.
            let stranger = try SocketPeer.connect(path: base)
            try stranger.write("CONNECT 6000\n")
            #expect(stranger.closedByPeer(), "no OK for a port nobody listens on")
            stranger.close()
            try Self.echoThroughGuest(base, message: "after the bad ones")
        }
        let result = vmm.finish()
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("virtio-vsock: echoed 18 bytes back\n"))
        #expect(result.stdout.hasSuffix(Self.summaryOK))
        #expect(result.stderr.contains("host connection closed: 'HELLO 5000' is not 'CONNECT <port>'"),
                "\(result.stderr)")
        #expect(result.stderr.contains("host connection closed: no newline in the first 32 bytes"))
        #expect(result.stderr.contains("host connection closed: no CONNECT line within 3 s"))
    }

    /// 64 KiB from the host to a guest that advertises a 4 KiB buffer: the
    /// device sends at most the guest's credit, the guest echoes every packet
    /// (256-byte receive buffers), and every byte comes back in order.
    @Test func largeHostMessageFlowsWithinTheGuestsCredit() throws {
        let base = Self.socketPath("large")
        Self.removeSockets(base)
        defer { Self.removeSockets(base) }
        let vmm = try run(base, commandLine: "vsock-listen=5000")
        let listening = vmm.waitForLine("virtio-vsock: listening on port 5000")
        #expect(listening, "\(vmm.stdout)")
        if listening {
            let message = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
            let client = try SocketPeer.connect(path: base)
            try client.write("CONNECT 5000\n")
            #expect(try client.readLine().hasPrefix("OK "))
            try client.write(message)
            #expect(try client.read(count: message.count) == message)
            client.close()
        }
        let result = vmm.finish()
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("virtio-vsock: echoed 65536 bytes back\n"))
        #expect(result.stdout.hasSuffix(Self.summaryOK))
        #expect(!result.stderr.contains("warning"), "\(result.stderr)")
    }

    @Test func staleSocketIsReplacedButOtherFilesAreNot() throws {
        let base = Self.socketPath("stale")
        Self.removeSockets(base)
        defer { Self.removeSockets(base) }
        // A regular file at PATH is never deleted.
        #expect(FileManager.default.createFile(atPath: base, contents: Data("keep".utf8)))
        let refused = Environment.run([Environment.vmmBinary, "run", "--kernel", try Environment.guest("virtio.elf"),
                                       "--vsock", "cid=7,uds=\(base)"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("invalid --vsock: \(base) exists and is not a socket; not replacing it"),
                "\(refused.stderr)")
        #expect(FileManager.default.contents(atPath: base) == Data("keep".utf8))
        unlink(base)
        // A socket left behind by an earlier run is replaced.
        try SocketPeer.listen(path: base).close()
        #expect(FileManager.default.fileExists(atPath: base))
        let result = Environment.run([Environment.vmmBinary, "run", "--kernel", try Environment.guest("virtio.elf"),
                                      "--memory", "64M", "--vsock", "cid=7,uds=\(base)", "--cmdline", "need=vsock"])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(Self.vsockLines(result.stdout) == ["virtio-vsock: guest cid 7", "virtio-vsock: ok"])
        #expect(!FileManager.default.fileExists(atPath: base))
    }

    @Test(arguments: [
        ("cid=2,uds=/tmp/v.sock", "cid 2 is reserved"),
        ("cid=4294967295,uds=/tmp/v.sock", "cid 4294967295 is reserved"),
        ("cid=three,uds=/tmp/v.sock", "cid 'three' is not a decimal number"),
        ("uds=/tmp/v.sock", "cid= is missing"),
        ("cid=3", "uds= is missing"),
        ("cid=3,uds=/tmp/v.sock,port=5", "unknown key 'port'"),
        ("cid=3,uds=/tmp/" + String(repeating: "v", count: 92), "is too long: with '_4294967295' for guest connections it needs 109 bytes"),
        ("cid=3,uds=", "uds= is empty"),
    ])
    func commandLineErrorsNameTheBadPart(value: String, message: String) {
        let result = Environment.run([Environment.vmmBinary, "run", "--vsock", value])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Error: invalid --vsock: "), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    /// The same guest against QEMU's vhost-vsock (the host kernel's vsock): the
    /// guest's lines must be the same. Needs /dev/vhost-vsock, which this
    /// development host lacks (no kernel modules), and QEMU; skipped otherwise.
    @Test(.enabled(if: Environment.qemuPath != nil && Self.vhostVsockAvailable,
                   "needs qemu-system-x86_64 and /dev/vhost-vsock"))
    func sameLinesAsQEMUWithVhostVsock() throws {
        let qemu = try #require(Environment.qemuPath)
        let server = EchoServer(listening: try SocketPeer.listen(vsockPort: 1234))
        defer { server.stop() }
        let commandLine = "vsock=1234 vsock-listen=5000 need=vsock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: qemu)
        process.arguments = [
            "-enable-kvm", "-M", "microvm,x-option-roms=on,rtc=off,pit=on,pic=on", "-m", "64", "-display", "none",
            "-nodefaults", "-no-reboot", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
            "-global", "virtio-mmio.force-legacy=false", "-device", "vhost-vsock-device,guest-cid=3",
            "-kernel", try Environment.guest("virtio.elf"), "-append", commandLine,
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The guest listens after its own connection; give it time, then connect over AF_VSOCK.
        var client: SocketPeer?
        for _ in 0..<100 where client == nil {
            usleep(100_000)
            client = try? SocketPeer.connect(vsockCID: 3, port: 5000)
        }
        let peer = try #require(client, "could not connect to the guest's port 5000")
        try peer.write("hello from the host, 31 bytes!\n")
        #expect(try peer.read(count: 31) == Array("hello from the host, 31 bytes!\n".utf8))
        peer.close()
        process.waitUntilExit()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1, "\(stdout)")
        #expect(Self.vsockLines(stdout).dropFirst(1) == [
            "virtio-vsock: connected to 2:1234",
            "virtio-vsock: echo of 28 bytes matched",
            "virtio-vsock: closed the connection to 2:1234",
            "virtio-vsock: listening on port 5000",
            "virtio-vsock: accepted host connection on port 5000",
            "virtio-vsock: echoed 31 bytes back",
            "virtio-vsock: host shut the connection down",
            "virtio-vsock: ok",
        ])
    }

    static let vhostVsockAvailable: Bool = {
        if FileManager.default.fileExists(atPath: "/dev/vhost-vsock") { return true }
        print("skipping the QEMU vsock comparison: /dev/vhost-vsock is absent (QEMU's vsock needs the host's "
            + "vhost-vsock module, or a vhost-user-vsock daemon, which Debian 12 does not package)")
        return false
    }()
}
