import Foundation
import HTTPTestClient
import Testing

/// The `vmm` process driven over its Firecracker API socket, as an SDK drives
/// Firecracker: configuration, InstanceStart, pause, snapshots, a restore in a new
/// process, Ctrl+Alt+Del, the configuration file, and errors that leave the
/// server serving.
@Suite(.serialized, requiresKVM)
struct APIProcessTests {
    let directory: URL

    init() throws {
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("vmm-api-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Starts `vmm --api-sock` and connects once the socket listens.
    func launch(_ name: String = "api.sock", extra: [String] = []) throws -> (VMMProcess, HTTPTestClient) {
        let socket = path(name)
        let process = try VMMProcess(["--api-sock", socket] + extra)
        let deadline = Date().addingTimeInterval(10)
        while true {
            if let client = try? HTTPTestClient(path: socket) { return (process, client) }
            guard Date() < deadline else {
                process.kill()
                let result = process.finish()
                throw HTTPTestClientError.malformed("no API socket at \(socket): \(result.stderr)")
            }
            usleep(2_000)
        }
    }

    /// Sends a request and expects `status`; returns the answer.
    @discardableResult
    func call(_ client: HTTPTestClient, _ method: String, _ route: String, _ body: String? = nil,
              expect status: Int = 204, sourceLocation: SourceLocation = #_sourceLocation) throws -> HTTPTestResponse {
        let response = try client.request(method, route, body)
        #expect(response.status == status, "\(method) \(route): \(response.status) \(response.body)",
                sourceLocation: sourceLocation)
        return response
    }

    static func counts(_ text: String) -> [Int] {
        text.split(separator: "\n").compactMap { $0.hasPrefix("count ") ? Int($0.dropFirst(6)) : nil }
    }

    static func allocatedBytes(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_blocks) * 512 : -1
    }

    /// The calls firecracker-go-sdk makes, in its order, then InstanceStart; the
    /// process serves the socket before booting and exits with the guest.
    @Test func sdkBootSequence() throws {
        let hello = try Environment.guest("hello.elf")
        let disk = path("rootfs.img"), log = path("vmm.log"), metrics = path("metrics.json")
        #expect(FileManager.default.createFile(atPath: disk, contents: Data(count: 1 << 20)))
        let (process, client) = try launch()
        let root = try call(client, "GET", "/", expect: 200)
        #expect(root.body.contains("\"state\":\"Not started\""), "\(root.body)")
        try call(client, "GET", "/version", expect: 200)
        try call(client, "PUT", "/logger",
                 #"{"log_path": "\#(log)", "level": "Info", "show_level": true, "show_log_origin": false}"#)
        try call(client, "PUT", "/metrics", #"{"metrics_path": "\#(metrics)"}"#)
        try call(client, "PUT", "/boot-source", #"{"kernel_image_path": "\#(hello)", "boot_args": "console=ttyS0"}"#)
        try call(client, "PUT", "/drives/rootfs",
                 #"{"drive_id": "rootfs", "path_on_host": "\#(disk)", "is_root_device": true, "is_read_only": false}"#)
        try call(client, "PUT", "/machine-config", #"{"vcpu_count": 1, "mem_size_mib": 64}"#)
        try call(client, "PUT", "/entropy", "{}")
        try call(client, "PUT", "/vsock", #"{"guest_cid": 3, "uds_path": "\#(path("v.sock"))"}"#)
        let config = try call(client, "GET", "/vm/config", expect: 200)
        #expect(config.body.contains("\"drive_id\":\"rootfs\"") && config.body.contains("\"mem_size_mib\":64"),
                "\(config.body)")
        try call(client, "PUT", "/actions", #"{"action_type": "InstanceStart"}"#)
        let result = process.finish(timeout: 30)
        #expect(result.stdout.contains("Hello from a multiboot guest"), "stdout: \(result.stdout)")
        #expect(result.status == 1, "the guest's debug-exit status: \(result.status); \(result.stderr)")
        let logText = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(logText.contains("InstanceStart") && logText.contains(":INFO"), "log file: \(logText)")
        let lines = ((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(!lines.isEmpty, "no metrics line in \(metrics)")
        if let last = lines.last {
            let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
            #expect(object?["utc_timestamp_ms"] != nil && object?["exits"] != nil, "metrics line: \(last)")
        }
    }

    /// A counting guest paused, snapshotted and killed; a new process restores it and
    /// it prints the next number. A diff snapshot after a little more counting is
    /// much smaller than the full one.
    @Test func snapshotRestoreInANewProcess() throws {
        let counter = try Environment.guest("counter.elf")
        let state = path("vm.state"), memory = path("vm.mem")
        let (first, client) = try launch()
        try call(client, "PUT", "/boot-source", #"{"kernel_image_path": "\#(counter)", "boot_args": "every=5"}"#)
        try call(client, "PUT", "/machine-config", #"{"vcpu_count": 1, "mem_size_mib": 128, "track_dirty_pages": true}"#)
        try call(client, "PUT", "/snapshot/create", #"{"snapshot_path": "\#(state)", "mem_file_path": "\#(memory)"}"#,
                 expect: 400)
        try call(client, "PUT", "/actions", #"{"action_type": "InstanceStart"}"#)
        #expect(first.waitForText("count 3\n"), "the counter did not reach 3: \(first.stdout)")
        try call(client, "PATCH", "/vm", #"{"state": "Paused"}"#)
        #expect(try call(client, "GET", "/", expect: 200).body.contains("\"state\":\"Paused\""))
        try call(client, "PUT", "/snapshot/create",
                 #"{"snapshot_type": "Full", "snapshot_path": "\#(state)", "mem_file_path": "\#(memory)"}"#)
        try call(client, "PATCH", "/vm", #"{"state": "Resumed"}"#)
        let resumedAt = Self.counts(first.stdout).last ?? 0
        #expect(first.waitForText("count \(resumedAt + 2)\n"), "no counting after resume: \(first.stdout)")
        try call(client, "PATCH", "/vm", #"{"state": "Paused"}"#)
        let diffState = path("diff.state"), diff = path("diff.mem")
        try call(client, "PUT", "/snapshot/create",
                 #"{"snapshot_type": "Diff", "snapshot_path": "\#(diffState)", "mem_file_path": "\#(diff)"}"#)
        let last = Self.counts(first.stdout).last ?? 0
        first.kill()
        _ = first.finish()
        let fullBytes = Self.allocatedBytes(memory), diffBytes = Self.allocatedBytes(diff)
        #expect(diffBytes > 0 && diffBytes * 4 < fullBytes, "diff \(diffBytes) bytes vs full \(fullBytes)")

        // Restore the diff, applied to the full memory file, in a new process.
        let result = Environment.run([Environment.vmmBinary, "snapshot-rebase", "--base", memory, "--diff", diff])
        #expect(result.status == 0, "rebase: \(result.stderr)")
        let (second, restored) = try launch("api2.sock")
        try call(restored, "PUT", "/snapshot/load",
                 #"{"snapshot_path": "\#(diffState)", "mem_backend": {"backend_type": "File", "backend_path": "\#(memory)"}, "resume_vm": true}"#)
        #expect(second.waitForText("count \(last + 2)\n"), "restored output: \(second.stdout)")
        #expect(Array(Self.counts(second.stdout).prefix(2)) == [last + 1, last + 2],
                "before the kill: \(last); after restore: \(second.stdout)")
        #expect(try call(restored, "GET", "/", expect: 200).body.contains("\"state\":\"Running\""))
        second.kill()
        _ = second.finish()
    }

    /// SendCtrlAltDel reaches the guest through the i8042; the guest resets and the
    /// process exits cleanly, as Firecracker's does.
    @Test func ctrlAltDelReachesTheGuest() throws {
        let guest = try Environment.guest("kbd_cad.elf")
        let (process, client) = try launch()
        try call(client, "PUT", "/boot-source", #"{"kernel_image_path": "\#(guest)"}"#)
        try call(client, "PUT", "/actions", #"{"action_type": "SendCtrlAltDel"}"#, expect: 400)
        try call(client, "PUT", "/actions", #"{"action_type": "InstanceStart"}"#)
        #expect(process.waitForText("kbd: ready"), "\(process.stdout)")
        try call(client, "PUT", "/actions", #"{"action_type": "SendCtrlAltDel"}"#)
        let result = process.finish(timeout: 30)
        #expect(result.stdout.contains("kbd: ctrl-alt-del"), "\(result.stdout)")
        #expect(result.status == 0, "status \(result.status): \(result.stderr)")
    }

    /// Errors are 400 with a fault message, and the server goes on serving.
    @Test func errorsLeaveTheServerServing() throws {
        let hello = try Environment.guest("hello.elf")
        let (process, client) = try launch()
        let early = try call(client, "PUT", "/actions", #"{"action_type": "InstanceStart"}"#, expect: 400)
        #expect(!early.faultMessage.isEmpty)
        let missing = path("no-such-kernel")
        try call(client, "PUT", "/boot-source", #"{"kernel_image_path": "\#(missing)"}"#)
        let failed = try call(client, "PUT", "/actions", #"{"action_type": "InstanceStart"}"#, expect: 400)
        #expect(failed.faultMessage.contains(missing), "\(failed.faultMessage)")
        try call(client, "PUT", "/machine-config", #"{"vcpu_count": 1, "mem_size_mib": 64, "smt": true}"#)
        let smt = try call(client, "PUT", "/actions", #"{"action_type": "InstanceStart"}"#, expect: 400)
        #expect(smt.faultMessage.contains("smt"), "\(smt.faultMessage)")
        try call(client, "PUT", "/machine-config", #"{"vcpu_count": 1, "mem_size_mib": 64}"#)
        try call(client, "PUT", "/boot-source", "{not json", expect: 400)
        try call(client, "PUT", "/boot-source", #"{"kernel_image_path": "\#(hello)", "colour": 1}"#, expect: 400)
        try call(client, "PUT", "/boot-source", #"{"kernel_image_path": "\#(hello)"}"#)
        try call(client, "PUT", "/actions", #"{"action_type": "InstanceStart"}"#)
        let result = process.finish(timeout: 30)
        #expect(result.stdout.contains("Hello from a multiboot guest"), "\(result.stdout)")
        #expect(result.status == 1)
    }

    /// A snapshot load of a file that is not a snapshot, or whose memory file is
    /// missing, is a 400 naming the problem; nothing is half-loaded, and a good
    /// configuration still boots afterwards.
    @Test func badSnapshotLoadsAreRefused() throws {
        let hello = try Environment.guest("hello.elf")
        let garbage = path("garbage.state")
        try "not a snapshot at all".write(toFile: garbage, atomically: true, encoding: .utf8)
        let (process, client) = try launch()
        let notSnapshot = try call(client, "PUT", "/snapshot/load",
                                   #"{"snapshot_path": "\#(garbage)", "mem_file_path": "\#(path("m"))"}"#, expect: 400)
        #expect(notSnapshot.faultMessage.contains("not a swift-vmm snapshot"), "\(notSnapshot.faultMessage)")
        let missing = try call(client, "PUT", "/snapshot/load",
                               #"{"snapshot_path": "\#(path("none.state"))", "mem_file_path": "\#(path("m"))"}"#,
                               expect: 400)
        #expect(missing.faultMessage.contains("none.state"), "\(missing.faultMessage)")
        #expect(try call(client, "GET", "/", expect: 200).body.contains("\"state\":\"Not started\""))
        try call(client, "PUT", "/boot-source", #"{"kernel_image_path": "\#(hello)"}"#)
        try call(client, "PUT", "/actions", #"{"action_type": "InstanceStart"}"#)
        let result = process.finish(timeout: 30)
        #expect(result.stdout.contains("Hello from a multiboot guest") && result.status == 1, "\(result.stderr)")
    }

    /// A running guest's disk gets a new backing file (PATCH /drives/{id}).
    @Test func patchDriveAfterBoot() throws {
        let counter = try Environment.guest("counter.elf")
        let disk = path("a.img"), other = path("b.img")
        #expect(FileManager.default.createFile(atPath: disk, contents: Data(count: 1 << 20)))
        #expect(FileManager.default.createFile(atPath: other, contents: Data(count: 2 << 20)))
        let (process, client) = try launch()
        try call(client, "PUT", "/boot-source", #"{"kernel_image_path": "\#(counter)", "boot_args": "every=5"}"#)
        try call(client, "PUT", "/drives/data",
                 #"{"drive_id": "data", "path_on_host": "\#(disk)", "is_root_device": false}"#)
        try call(client, "PATCH", "/drives/data", #"{"drive_id": "data", "path_on_host": "\#(other)"}"#, expect: 400)
        try call(client, "PUT", "/actions", #"{"action_type": "InstanceStart"}"#)
        #expect(process.waitForText("count 1\n"))
        try call(client, "PATCH", "/drives/data", #"{"drive_id": "data", "path_on_host": "\#(other)"}"#)
        let bad = try call(client, "PATCH", "/drives/data", #"{"drive_id": "data", "path_on_host": "\#(path("none"))"}"#,
                           expect: 400)
        #expect(bad.faultMessage.contains("none"), "\(bad.faultMessage)")
        try call(client, "PUT", "/drives/data", #"{"drive_id": "data", "path_on_host": "\#(disk)", "is_root_device": false}"#,
                 expect: 400)
        process.kill()
        _ = process.finish()
    }

    /// `--config-file` with `--no-api` boots at once; a bad file is refused by name.
    @Test func configFileBootsWithoutAnAPI() throws {
        let hello = try Environment.guest("hello.elf")
        let file = path("vm.json")
        try #"{"boot-source": {"kernel_image_path": "\#(hello)"}, "machine-config": {"vcpu_count": 1, "mem_size_mib": 64}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let booted = Environment.run([Environment.vmmBinary, "--config-file", file, "--no-api"])
        #expect(booted.stdout.contains("Hello from a multiboot guest") && booted.status == 1,
                "status \(booted.status): \(booted.stderr)")

        let bad = path("bad.json")
        try #"{"boot-source": {"kernel_image_path": "\#(hello)"}, "balloon": {"amount_mib": 1}}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = Environment.run([Environment.vmmBinary, "--config-file", bad, "--no-api"])
        #expect(refused.status == 2 && refused.stderr.contains("balloon"), "\(refused.status): \(refused.stderr)")

        let alone = Environment.run([Environment.vmmBinary, "--no-api"])
        #expect(alone.status != 0 && alone.stderr.contains("--config-file"), "\(alone.stderr)")
    }
}
