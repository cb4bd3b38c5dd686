import Foundation
import Testing
import VMM

/// virtio.elf's virtio-net test (Guests/multiboot/virtio_net.c) over a host TAP
/// device: ARP and an ICMP echo with the host's own stack, under swift-vmm and
/// under QEMU microvm with the same binary; and `--net` errors.
@Suite struct VirtioNetTests {
    /// The guest's lines that do not depend on the VMM, for one device and `tap`'s addresses.
    static func expectedLines(_ tap: HostTap) -> [String] {
        [
            "virtio-blk: absent",
            "virtio-rng: absent",
            "virtio-console: absent",
            "virtio-net: link up",
            "virtio-net: ARP reply from \(tap.hostIP)",
            "virtio-net: ping \(tap.hostIP): echo reply, 56 bytes match",
            "virtio-net: ok",
            "virtio-vsock: absent",
            "virtio: blk absent, rng absent, console absent, net ok, vsock absent",
            "virtio: PASS",
        ]
    }

    /// Lines not starting with "virtio-mmio:" (addresses, features and MACs differ between VMMs).
    static func common(_ output: String) -> [String] {
        output.split(separator: "\n").filter { !$0.hasPrefix("virtio-mmio:") }.map(String.init)
    }

    static func runVMM(_ arguments: [String], cmdline: String) throws -> Environment.ProcessResult {
        let path = try Environment.guest("virtio.elf")
        return Environment.run([Environment.vmmBinary, "run", "--kernel", path, "--memory", "64M",
                                "--cmdline", cmdline, "--timeout", "30"] + arguments, timeout: 60)
    }

    @Test(requiresKVM, requiresTap) func pingsTheHost() throws {
        try HostTap.with { tap in
            let result = try Self.runVMM(["--net", "tap=\(tap.name)"], cmdline: "\(tap.token) need=net")
            #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
            #expect(Self.common(result.stdout) == Self.expectedLines(tap), "\(result.stdout)")
            #expect(result.stdout.contains("virtio-mmio: net at 0xd0000000 irq 5 version 2"))
            // The MAC is the generated one (the guest takes only replies sent to it),
            // and the host's side of the TAP device saw the guest's two frames.
            let mac = MACAddress.generated(tap: tap.name, index: 0)
            #expect(result.stdout.contains("virtio-mmio: net mac \(mac)\n"), "\(result.stdout)")
            #expect((tap.counter("rx_packets") ?? 0) >= 2)
            #expect(result.stderr.split(separator: "\n").allSatisfy { !$0.contains("virtio-net") },
                    "no device warnings: \(result.stderr)")
        }
    }

    /// Two devices, the second with its own MAC: both are announced; the guest
    /// tests the first (mac= given), and nothing from the second reaches the host.
    @Test(requiresKVM, requiresTap) func twoDevicesWithAGivenMAC() throws {
        try HostTap.with { first in
            try HostTap.with { second in
                let result = try Self.runVMM(
                    ["--net", "tap=\(first.name),mac=02:00:5e:77:00:01", "--net", "tap=\(second.name)"],
                    cmdline: "\(first.token) need=net")
                #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
                #expect(result.stdout.contains("virtio-mmio: net at 0xd0000000 irq 5 version 2"))
                #expect(result.stdout.contains("virtio-mmio: net at 0xd0001000 irq 6 version 2"))
                #expect(result.stdout.contains("virtio-mmio: net mac 02:00:5e:77:00:01\n"), "\(result.stdout)")
                #expect(Self.common(result.stdout) == Self.expectedLines(first), "\(result.stdout)")
                #expect((first.counter("rx_packets") ?? 0) >= 2)
                #expect(second.counter("rx_packets") == 0)
            }
        }
    }

    /// Without a net= token the guest only brings the device up and reads the link status.
    @Test(requiresKVM, requiresTap) func bringUpOnly() throws {
        try HostTap.with { tap in
            let result = try Self.runVMM(["--net", "tap=\(tap.name)"], cmdline: "need=net")
            #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
            #expect(result.stdout.contains("virtio-net: link up\nvirtio-net: ok\n"), "\(result.stdout)")
            #expect(!result.stdout.contains("ARP"))
        }
    }

    /// The same guest against QEMU microvm's virtio-net-device on the same TAP
    /// device: every line that does not start with "virtio-mmio:" is identical.
    @Test(requiresKVM, requiresTap, .enabled(if: Environment.qemuPath != nil, "needs qemu-system-x86_64"))
    func sameResultsAsQEMU() throws {
        let qemu = try #require(Environment.qemuPath)
        let path = try Environment.guest("virtio.elf")
        try HostTap.with { tap in
            let cmdline = "\(tap.token) need=net"
            let result = try Self.runVMM(["--net", "tap=\(tap.name)"], cmdline: cmdline)
            let reference = Environment.run([
                qemu, "-enable-kvm", "-M", "microvm,x-option-roms=on,rtc=off,pit=on,pic=on", "-m", "64",
                "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-global", "virtio-mmio.force-legacy=false",
                "-netdev", "tap,id=n0,ifname=\(tap.name),script=no,downscript=no",
                "-device", "virtio-net-device,netdev=n0", "-kernel", path, "-append", cmdline,
            ], timeout: 60)
            #expect(reference.status == 1, "QEMU: \(reference.stdout) \(reference.stderr)")
            #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
            #expect(Self.common(reference.stdout) == Self.expectedLines(tap), "QEMU: \(reference.stdout)")
            #expect(Self.common(result.stdout) == Self.common(reference.stdout))
        }
    }

    /// Bad `--net` values: a clear message naming the option and the bad part,
    /// a non-zero exit, no crash (no signal, no VM started).
    @Test(arguments: [
        ("tap=abcdefghijklmnop", "tap=abcdefghijklmnop: the interface name is 16 bytes; Linux allows at most 15"),
        ("bogus=1", "unknown key 'bogus' in 'bogus=1'"),
        ("tap=x,mac=02:00:00:00:00", "mac=02:00:00:00:00 is not a MAC address"),
        ("tap=x,mac=01:00:5e:00:00:01", "mac=01:00:5e:00:00:01 is a multicast address"),
    ])
    func badValuesAreRefused(value: String, message: String) throws {
        let result = Environment.run([Environment.vmmBinary, "run", "--net", value])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--net"), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
    }

    /// Attaching fails cleanly, naming the device and the cause: an interface that
    /// is not a TAP device, and (without CAP_NET_ADMIN) one owned by another user.
    @Test(requiresKVM, requiresTap) func attachFailuresAreExplained() throws {
        let notTap = Environment.run([Environment.vmmBinary, "run", "--net", "tap=lo", "--timeout", "5"])
        #expect(notTap.status == 2, "\(notTap.stderr)")
        #expect(notTap.stderr.contains("invalid --net: tap=lo: cannot attach to TAP device lo: "), "\(notTap.stderr)")
        #expect(notTap.stderr.contains("exists but is not a TAP device"), "\(notTap.stderr)")
        let setpriv = "/usr/bin/setpriv"
        guard FileManager.default.isExecutableFile(atPath: setpriv) else {
            print("skipping the CAP_NET_ADMIN case: \(setpriv) is not installed")
            return
        }
        try HostTap.with(address: false) { tap in
            _ = Environment.run([HostTap.ipPath ?? "ip", "link", "delete", tap.name])
            let made = Environment.run([HostTap.ipPath ?? "ip", "tuntap", "add", "dev", tap.name, "mode", "tap",
                                        "user", "54321"])
            try #require(made.status == 0, "\(made.stderr)")
            let result = Environment.run([setpriv, "--inh-caps=-net_admin", "--bounding-set=-net_admin",
                                          Environment.vmmBinary, "run", "--net", "tap=\(tap.name)", "--timeout", "5"])
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.contains("invalid --net: tap=\(tap.name): cannot attach to TAP device \(tap.name): "
                + "Operation not permitted (errno 1) (needs CAP_NET_ADMIN or a TAP device owned by this user)"),
                "\(result.stderr)")
        }
    }
}
