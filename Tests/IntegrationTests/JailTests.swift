import Foundation
import Glibc
import HTTPTestClient
import Testing

/// Where `vmm jail` can run: as root, with /dev/kvm, and where the kernel lets
/// root create mount and PID namespaces. Otherwise the suite is skipped, with why.
enum JailHost {
    static let unavailableReason: String? = {
        var reason: String?
        if getuid() != 0 {
            reason = "skipping jail tests: not root (vmm jail needs CAP_SYS_ADMIN for namespaces, mounts and setuid)"
        } else if let kvm = Environment.kvmUnavailableReason {
            reason = kvm
        } else if Environment.run(["unshare", "--mount", "--pid", "--fork", "true"]).status != 0 {
            reason = "skipping jail tests: this host refuses new mount and PID namespaces (unshare --mount --pid failed)"
        }
        if let reason { print(reason) }
        return reason
    }()

    /// A fresh chroot base directory on the repository's filesystem (a tmpfs /tmp
    /// is often mounted nodev, where the jail's /dev/kvm could not be opened).
    static func makeBase() throws -> String {
        let path = Environment.packageRoot.appendingPathComponent(
            ".build/jail-tests/\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// `vmm jail --id ID --uid U --gid G --chroot-base-dir BASE EXTRA -- RUN`.
    static func arguments(base: String, id: String = "vm", uid: UInt32 = 65534, gid: UInt32 = 65534,
                          _ extra: [String] = [], run: [String]) -> [String] {
        [Environment.vmmBinary, "jail", "--id", id, "--uid", String(uid), "--gid", String(gid),
         "--chroot-base-dir", base] + extra + ["--"] + run
    }

    /// The PIDs of `pid`'s children.
    static func children(of pid: pid_t) -> [pid_t] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// The value of a "Key:\tvalue" line of /proc/PID/status.
    static func status(_ pid: pid_t, _ key: String) -> String? {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").first { $0.hasPrefix(key + ":") }
            .map { $0.dropFirst(key.count + 1).split(whereSeparator: { $0 == "\t" || $0 == " " }).joined(separator: " ") }
    }

    static func namespace(_ pid: String, _ kind: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(kind)")
    }
}

@Suite(.serialized, .enabled(if: JailHost.unavailableReason == nil, "needs root, KVM and namespaces"))
struct JailTests {
    @Test func helloRunsJailedWithTheGuestsExitStatus() throws {
        let base = try JailHost.makeBase()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let result = Environment.run(JailHost.arguments(base: base, run: [
            "--kernel", try Environment.guest("hello.elf"), "--memory", "64M", "--stats-json", "/out/stats.json"]))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout == "Hello from a multiboot guest\n")
        // The VMM wrote its statistics inside the jail, as the dropped uid.
        let stats = base + "/vm/root/out/stats.json"
        let attributes = try FileManager.default.attributesOfItem(atPath: stats)
        #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == 65534)
        #expect(!FileManager.default.fileExists(atPath: "/out/stats.json"))
        // The kernel was bound in, not copied: its placeholder on disk is empty.
        let placeholder = base + "/vm/root/boot/kernel/hello.elf"
        #expect((try FileManager.default.attributesOfItem(atPath: placeholder)[.size] as? NSNumber)?.intValue == 0)
        let node = try FileManager.default.attributesOfItem(atPath: base + "/vm/root/dev/kvm")
        #expect(node[.type] as? FileAttributeType == .typeCharacterSpecial)
    }

    @Test func driveWritesReachTheOperatorsFile() throws {
        let base = try JailHost.makeBase()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let disk = try VirtioGuestTests.makeDisk(sectors: 128)
        defer { try? FileManager.default.removeItem(at: disk) }
        #expect(chown(disk.path, 65534, 65534) == 0)
        let result = Environment.run(JailHost.arguments(base: base, run: [
            "--kernel", try Environment.guest("virtio.elf"), "--memory", "64M", "--drive", disk.path,
            "--cmdline", "blk=rw need=blk"]))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.hasSuffix("virtio: PASS\n"), "\(result.stdout)")
        // The guest's checksum of the disk after its writes is the host file's.
        let onDisk = VirtioGuestTests.checksum([UInt8](try Data(contentsOf: disk)))
        #expect(result.stdout.contains("virtio-blk: checksum \(VirtioGuestTests.hex(onDisk)) over 128 sectors\n"))
    }

    /// A guest waiting for serial input keeps the jailed VMM alive while the test
    /// looks at it from outside; SIGTERM to the jail reaches it and is its status.
    @Test func theJailedVMMRunsAsTheUidInNewNamespacesAndTheRoot() throws {
        let base = try JailHost.makeBase()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let jail = try VMMProcess(Array(JailHost.arguments(base: base, ["--new-netns", "--resource-limit", "no-file=64"], run: [
            "--kernel", try Environment.guest("serial_rx.elf"), "--memory", "64M", "--timeout", "60"]).dropFirst()))
        #expect(jail.waitForText("serial-rx: ready"), "\(jail.stderr)")
        let children = JailHost.children(of: jail.pid)
        #expect(children.count == 1)
        if let vmm = children.first {
            #expect(JailHost.status(vmm, "Uid") == "65534 65534 65534 65534")
            #expect(JailHost.status(vmm, "Gid") == "65534 65534 65534 65534")
            #expect(JailHost.status(vmm, "Groups") == "65534")
            #expect(JailHost.status(vmm, "NoNewPrivs") == "1")
            #expect(JailHost.status(vmm, "NSpid")?.hasSuffix(" 1") == true, "PID 1 in its namespace")
            // Its root directory is the jail's (the same inode), and it has its own /proc.
            var inside = stat(), jailRoot = stat()
            #expect(stat("/proc/\(vmm)/root/.", &inside) == 0 && stat(base + "/vm/root", &jailRoot) == 0)
            #expect(inside.st_ino == jailRoot.st_ino && inside.st_dev == jailRoot.st_dev)
            let mounts = (try? String(contentsOfFile: "/proc/\(vmm)/mountinfo", encoding: .utf8)) ?? ""
            #expect(mounts.split(separator: "\n").count == 3, "root, the kernel and /proc: \(mounts)")
            #expect(mounts.contains(" /proc rw,nosuid,nodev,noexec"), "\(mounts)")
            for kind in ["mnt", "pid", "ipc", "uts", "net"] {
                let inside = JailHost.namespace(String(vmm), kind), outside = JailHost.namespace("self", kind)
                #expect(inside != nil && inside != outside, "\(kind): \(String(describing: inside))")
            }
            #expect(JailHost.namespace(String(vmm), "user") == JailHost.namespace("self", "user"))
            let limits = (try? String(contentsOfFile: "/proc/\(vmm)/limits", encoding: .utf8)) ?? ""
            #expect(limits.split(separator: "\n").contains { $0.hasPrefix("Max open files") && $0.contains(" 64 ") },
                    "\(limits)")
        }
        kill(jail.pid, SIGTERM)
        let result = jail.finish()
        #expect(result.status == 128 + SIGTERM, "\(result.stderr)")
        #expect(result.stderr.contains("stopped by signal 15"), "\(result.stderr)")
    }

    /// `--netns PATH` joins an existing network namespace (here a `sleep`'s, made by
    /// `unshare --net`), and `--net` reaches a TAP device made there for the uid through
    /// the jail's own /dev/net/tun.
    @Test func aTapInAJoinedNetworkNamespace() throws {
        guard let ip = HostTap.ipPath, FileManager.default.fileExists(atPath: "/dev/net/tun") else {
            print("skipping the jailed TAP test: no iproute2 or no /dev/net/tun")
            return
        }
        let base = try JailHost.makeBase()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["unshare", "--net", "sleep", "60"]
        try holder.run()
        defer { holder.terminate() }
        let netns = "/proc/\(holder.processIdentifier)/ns/net"
        var made = Environment.ProcessResult(status: -1, stdout: "", stderr: "")
        for _ in 0..<100 {  // until unshare has exec'd sleep in its new namespace
            if JailHost.namespace(String(holder.processIdentifier), "net") != JailHost.namespace("self", "net") {
                made = Environment.run(["nsenter", "--net=" + netns, ip, "tuntap", "add", "dev", "jtap0", "mode", "tap",
                                        "user", "65534"])
                break
            }
            usleep(10_000)
        }
        #expect(made.status == 0, "\(made.stderr)")
        let result = Environment.run(JailHost.arguments(base: base, ["--netns", netns], run: [
            "--kernel", try Environment.guest("hello.elf"), "--memory", "64M", "--net", "tap=jtap0"]))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout == "Hello from a multiboot guest\n")
        let tun = try FileManager.default.attributesOfItem(atPath: base + "/vm/root/dev/net/tun")
        #expect(tun[.type] as? FileAttributeType == .typeCharacterSpecial)
        // The same TAP name is unknown in the host's namespace: the jail did join the other one.
        #expect(Environment.run([ip, "link", "show", "jtap0"]).status != 0)
    }

    /// The Firecracker way: the API socket is a path inside the jail, and the files
    /// named through the API are ones the operator placed in the root beforehand.
    @Test func theAPIServesFromInsideTheJail() throws {
        let base = try JailHost.makeBase()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/vm/root/images", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try Environment.guest("hello.elf"),
                                        toPath: base + "/vm/root/images/hello.elf")
        let jail = try VMMProcess(Array(JailHost.arguments(base: base, run: ["--api-sock", "/run/api.sock"]).dropFirst()))
        let socket = base + "/vm/root/run/api.sock"
        var client: HTTPTestClient?
        for _ in 0..<500 where client == nil {
            client = try? HTTPTestClient(path: socket)
            if client == nil { usleep(10_000) }
        }
        guard let client else {
            jail.kill()
            Issue.record("no API socket at \(socket): \(jail.finish().stderr)")
            return
        }
        #expect(try client.request("PUT", "/boot-source", #"{"kernel_image_path": "/images/hello.elf"}"#).status == 204)
        #expect(try client.request("PUT", "/actions", #"{"action_type": "InstanceStart"}"#).status == 204)
        let result = jail.finish()
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("Hello from a multiboot guest"), "\(result.stdout)")
    }

    @Test func cgroupLimitsAreWrittenWhereTheHostHasTheControllers() throws {
        let base = try JailHost.makeBase()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let probe = Environment.run(["sh", "-c",
            "awk '$9 == \"cgroup2\" { print $5; exit }' /proc/self/mountinfo"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let controllers = (try? String(contentsOfFile: probe + "/cgroup.controllers", encoding: .utf8)) ?? ""
        let arguments = JailHost.arguments(base: base, id: "cg\(getpid())",
            ["--cgroup", "cpu.max=50000 100000", "--cgroup", "memory.max=268435456"],
            run: ["--kernel", try Environment.guest("hello.elf"), "--memory", "64M"])
        let result = Environment.run(arguments)
        guard !probe.isEmpty, controllers.contains("cpu"), controllers.contains("memory") else {
            print("cgroup v2 at '\(probe)' offers '\(controllers.trimmingCharacters(in: .whitespacesAndNewlines))': "
                + "checking the error instead of the limits")
            #expect(result.status == 2)
            #expect(result.stderr.contains("jail: cgroup: cgroup v2 cpu controller not available at \(probe)")
                    || result.stderr.contains("jail: cgroup: no cgroup v2 hierarchy"), "\(result.stderr)")
            // Skipped explicitly, the VM runs and the reason is still printed.
            let skipped = Environment.run(Array(arguments.prefix(10)) + ["--skip", "cgroup"] + Array(arguments.dropFirst(10)))
            #expect(skipped.status == 1, "\(skipped.stderr)")
            #expect(skipped.stderr.contains("(skipped: --skip cgroup)"), "\(skipped.stderr)")
            return
        }
        #expect(result.status == 1, "\(result.stderr)")
        let cgroup = probe + "/vmm/cg\(getpid())"
        #expect(try String(contentsOfFile: cgroup + "/cpu.max", encoding: .utf8) == "50000 100000\n")
        #expect(try String(contentsOfFile: cgroup + "/memory.max", encoding: .utf8) == "268435456\n")
        rmdir(cgroup)
    }

    /// The writes themselves, against a stand-in hierarchy (plain files), so they
    /// are checked on hosts whose cgroup v2 has no controllers.
    @Test func cgroupFilesAreWrittenInTheGivenHierarchy() throws {
        let base = try JailHost.makeBase()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let fake = base + "/cgroup"
        let cgroup = fake + "/vmm/vm"
        try FileManager.default.createDirectory(atPath: cgroup, withIntermediateDirectories: true)
        for file in ["cgroup.controllers", "cgroup.subtree_control", "vmm/cgroup.subtree_control",
                     "vmm/vm/cpu.max", "vmm/vm/memory.max", "vmm/vm/cgroup.procs"] {
            try (file == "cgroup.controllers" ? "cpu memory pids\n" : "").write(toFile: fake + "/" + file,
                                                                                 atomically: false, encoding: .utf8)
        }
        let jail = try VMMProcess(Array(JailHost.arguments(base: base, [
            "--cgroup-root", fake, "--cgroup", "cpu.max=50000 100000", "--cgroup", "memory.max=268435456"], run: [
            "--kernel", try Environment.guest("hello.elf"), "--memory", "64M"]).dropFirst()))
        let result = jail.finish()
        #expect(result.status == 1, "\(result.stderr)")
        let read = { (file: String) in (try? String(contentsOfFile: fake + "/" + file, encoding: .utf8)) ?? "" }
        #expect(read("vmm/vm/cpu.max") == "50000 100000")
        #expect(read("vmm/vm/memory.max") == "268435456")
        #expect(read("cgroup.subtree_control") == "+cpu +memory")
        #expect(read("vmm/cgroup.subtree_control") == "+cpu +memory")
        #expect(read("vmm/vm/cgroup.procs") == String(jail.pid))
    }

    @Test func eachStepThatFailsSaysWhich() throws {
        let base = try JailHost.makeBase()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let hello = try Environment.guest("hello.elf")
        let hidden = base + "/private.elf"
        try FileManager.default.copyItem(atPath: hello, toPath: hidden)
        chmod(hidden, 0o600)
        let blocker = base + "/a-file"
        try "".write(toFile: blocker, atomically: false, encoding: .utf8)
        let cases: [(String, [String], String)] = [
            ("missing kernel", JailHost.arguments(base: base, run: ["--kernel", base + "/nonexistent.elf"]),
             "jail: placing a file: \(base)/nonexistent.elf (to be /boot/kernel/nonexistent.elf in the jail): "
                + "No such file or directory"),
            ("file the uid cannot read", JailHost.arguments(base: base, run: ["--kernel", hidden]),
             "jail: access check: uid 65534 cannot read /boot/kernel/private.elf (the host's \(hidden)"),
            ("bad uid", JailHost.arguments(base: base, uid: UInt32.max, gid: UInt32.max, run: ["--kernel", hello]),
             "jail: dropping privileges: setgroups [4294967295]: Invalid argument"),
            ("base directory that cannot be made", JailHost.arguments(base: blocker + "/jails", run: ["--kernel", hello]),
             "jail: chroot directory: cannot create directory \(blocker)/jails: Not a directory"),
            ("cgroup hierarchy absent", JailHost.arguments(base: base, ["--cgroup-root", base, "--cgroup", "memory.max=1G"],
                                                           run: ["--kernel", hello]),
             "jail: cgroup: no cgroup v2 hierarchy at \(base) (no cgroup.controllers there)"),
            ("network namespace absent", JailHost.arguments(base: base, ["--netns", "/nonexistent/netns"],
                                                            run: ["--kernel", hello]),
             "jail: network namespace: cannot open the network namespace /nonexistent/netns: No such file or directory"),
            ("output in the jail's root", JailHost.arguments(base: base, run: ["--kernel", hello, "--stats-json", "/s.json"]),
             "jail: options: --stats-json /s.json: give an absolute path inside the jail, in a directory"),
            ("symbolic link left in a reused root", JailHost.arguments(base: base, id: "reused",
                run: ["--kernel", hello, "--stats-json", "/out/sub/s.json"]),
             "jail: chroot directory: \(base)/reused/root/out/sub is a symbolic link"),
            ("bad id", JailHost.arguments(base: base, id: "../x", run: ["--kernel", hello]),
             "jail: options: --id '../x' must be 1 to 64 letters"),
        ]
        // What a jailed VMM owning /out could have left for the next run with this id.
        try FileManager.default.createDirectory(atPath: base + "/reused/root/out", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: base + "/reused/root/out/sub", withDestinationPath: "/etc")
        for (what, arguments, message) in cases {
            let result = Environment.run(arguments)
            #expect(result.status == 2, "\(what): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(what): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(what): the guest ran: \(result.stdout)")
        }
    }
}
