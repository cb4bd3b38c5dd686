import HTTPTestClient
import API
import Glibc
import Testing

/// Bodies a Firecracker client sends, in firecracker-go-sdk's order.
enum Bodies {
    static let logger = #"{"log_path": "/tmp/fc.log", "level": "debug", "show_level": true, "show_log_origin": false}"#
    static let metrics = #"{"metrics_path": "/tmp/fc.metrics"}"#
    static let bootSource = #"{"kernel_image_path": "/k/vmlinux", "boot_args": "console=ttyS0 reboot=k panic=1"}"#
    static let rootfs = #"{"drive_id": "rootfs", "path_on_host": "/d/rootfs.ext4", "is_root_device": true, "is_read_only": false}"#
    static let data = #"{"drive_id": "data", "path_on_host": "/d/data.img", "is_root_device": false, "cache_type": "Writeback", "io_engine": "Sync"}"#
    static let eth0 = #"{"iface_id": "eth0", "host_dev_name": "tap0", "guest_mac": "06:00:ac:10:00:02"}"#
    static let machine = #"{"vcpu_count": 2, "mem_size_mib": 256, "smt": false, "track_dirty_pages": true}"#
    static let vsock = #"{"guest_cid": 3, "uds_path": "/tmp/v.sock"}"#
    static let entropy = "{}"
    static let cpuConfig = #"""
        {"kvm_capabilities": ["!56"], "cpuid_modifiers": [{"leaf": "0x1", "subleaf": "0x0", "flags": 0,
          "modifiers": [{"register": "ecx", "bitmap": "0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"}]}],
         "msr_modifiers": [{"addr": "0x10a", "bitmap": "0b0000000000000000000000000000000000000000000000000000000000000001"}]}
        """#
    static func action(_ type: String) -> String { #"{"action_type": "\#(type)"}"# }
    static func vm(_ state: String) -> String { #"{"state": "\#(state)"}"# }
    static let snapshot = #"{"snapshot_type": "Full", "snapshot_path": "/s/vm.snap", "mem_file_path": "/s/vm.mem"}"#
}

@Suite("API server over a real Unix socket")
struct ServerTests {
    @Test("firecracker-go-sdk's boot sequence, then pause, snapshot and resume")
    func goSDKSequence() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()

        let info = try client.request("GET", "/")
        #expect(info.status == 200)
        #expect(try info.decode(InstanceInfo.self).state == .notStarted)

        let steps: [(String, String, String)] = [
            ("PUT", "/logger", Bodies.logger),
            ("PUT", "/metrics", Bodies.metrics),
            ("PUT", "/boot-source", Bodies.bootSource),
            ("PUT", "/drives/rootfs", Bodies.rootfs),
            ("PUT", "/drives/data", Bodies.data),
            ("PUT", "/network-interfaces/eth0", Bodies.eth0),
            ("PUT", "/machine-config", Bodies.machine),
            ("PUT", "/vsock", Bodies.vsock),
            ("PUT", "/actions", Bodies.action("InstanceStart")),
            ("PATCH", "/vm", Bodies.vm("Paused")),
            ("PUT", "/snapshot/create", Bodies.snapshot),
            ("PATCH", "/vm", Bodies.vm("Resumed")),
        ]
        for (method, path, body) in steps {
            let answer = try client.request(method, path, body)
            #expect(answer.status == 204, "\(method) \(path): \(answer.status) \(answer.body)")
            #expect(answer.body.isEmpty)
        }
        #expect(
            server.driver.recorded == [
                "logger /tmp/fc.log", "metrics /tmp/fc.metrics", "start /k/vmlinux drives=2", "pause",
                "snapshot /s/vm.snap /s/vm.mem", "resume",
            ])
        #expect(try client.request("GET", "/").decode(InstanceInfo.self).state == .running)
    }

    @Test("every supported endpoint answers as Firecracker does")
    func everyEndpoint() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()

        let version = try client.request("GET", "/version")
        #expect(version.status == 200)
        #expect(try version.decode(FirecrackerVersion.self).firecrackerVersion == "1.10.0")
        #expect(version.headers["content-type"] == "application/json")

        let defaults = try client.request("GET", "/machine-config")
        #expect(defaults.status == 200)
        #expect(try defaults.decode(MachineConfig.self) == MachineConfig.default)

        for (method, path, body) in [
            ("PUT", "/boot-source", Bodies.bootSource),
            ("PUT", "/drives/rootfs", Bodies.rootfs),
            ("PUT", "/network-interfaces/eth0", Bodies.eth0),
            ("PUT", "/machine-config", Bodies.machine),
            ("PATCH", "/machine-config", #"{"mem_size_mib": 512}"#),
            ("PUT", "/vsock", Bodies.vsock),
            ("PUT", "/entropy", Bodies.entropy),
            ("PUT", "/cpu-config", Bodies.cpuConfig),
            ("PUT", "/logger", Bodies.logger),
            ("PUT", "/metrics", Bodies.metrics),
        ] {
            let answer = try client.request(method, path, body)
            #expect(answer.status == 204, "\(method) \(path): \(answer.body)")
        }
        let machine = try client.request("GET", "/machine-config").decode(MachineConfig.self)
        #expect(machine.vcpuCount == 2 && machine.memSizeMib == 512 && machine.trackDirtyPages)

        let config = try client.request("GET", "/vm/config")
        #expect(config.status == 200)
        let resources = try config.decode(VMResources.self)
        #expect(resources.bootSource?.kernelImagePath == "/k/vmlinux")
        #expect(resources.drives.map(\.driveID) == ["rootfs"])
        #expect(resources.networkInterfaces.first?.hostDevName == "tap0")
        #expect(resources.vsock?.guestCID == 3)
        #expect(resources.entropy != nil)
        #expect(resources.cpuConfig?.msrModifiers.first?.address == 0x10a)
        #expect(resources.logger?.level == "Debug")
        #expect(resources.metrics?.metricsPath == "/tmp/fc.metrics")
        #expect(resources == server.controller.resources)

        for (method, path, body) in [
            ("PUT", "/actions", Bodies.action("InstanceStart")),
            ("PATCH", "/drives/rootfs", #"{"drive_id": "rootfs", "path_on_host": "/d/new.ext4"}"#),
            ("PATCH", "/network-interfaces/eth0", #"{"iface_id": "eth0"}"#),
            ("PUT", "/actions", Bodies.action("SendCtrlAltDel")),
            ("PUT", "/actions", Bodies.action("FlushMetrics")),
            ("PATCH", "/vm", Bodies.vm("Paused")),
            ("PUT", "/snapshot/create", Bodies.snapshot),
            ("PATCH", "/vm", Bodies.vm("Resumed")),
        ] {
            let answer = try client.request(method, path, body)
            #expect(answer.status == 204, "\(method) \(path): \(answer.body)")
        }
        #expect(
            server.driver.recorded.suffix(7) == [
                "start /k/vmlinux drives=1", "update rootfs /d/new.ext4", "ctrlaltdel", "flush", "pause",
                "snapshot /s/vm.snap /s/vm.mem", "resume",
            ])
        #expect(server.controller.resources.drives.first?.pathOnHost == "/d/new.ext4")
        #expect(server.controller.metrics.counters(for: .putActions) == EndpointCounters(count: 3, fails: 0))
    }

    @Test("snapshot/load on a fresh instance restores a paused VM")
    func snapshotLoad() throws {
        let server = try TestServer()
        defer { server.stop() }
        server.driver.restored.withLock { $0 = VMResources(bootSource: BootSource(kernelImagePath: "/restored")) }
        let client = try server.client()
        #expect(try client.request("PUT", "/logger", Bodies.logger).status == 204)
        let load = try client.request(
            "PUT", "/snapshot/load",
            #"{"snapshot_path": "/s/vm.snap", "mem_backend": {"backend_path": "/s/vm.mem", "backend_type": "File"}}"#)
        #expect(load.status == 204, "\(load.body)")
        #expect(try client.request("GET", "/").decode(InstanceInfo.self).state == .paused)
        let config = try client.request("GET", "/vm/config").decode(VMResources.self)
        #expect(config.bootSource?.kernelImagePath == "/restored")
        #expect(config.logger?.logPath == "/tmp/fc.log")
        #expect(try client.request("PATCH", "/vm", Bodies.vm("Resumed")).status == 204)
        #expect(server.driver.recorded == ["logger /tmp/fc.log", "load /s/vm.snap /s/vm.mem", "resume"])
    }

    @Test("every error is a 400 with a fault message, and the server keeps serving")
    func errors() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        let cases: [(String, String, String?, String)] = [
            ("PUT", "/boot-source", #"{"kernel_image_path": "#, "malformed JSON"),
            ("PUT", "/boot-source", #"{"kernel_image_path": "/k", "foo": 1}"#, "unknown field `foo`"),
            ("PUT", "/boot-source", nil, "needs a JSON body"),
            ("PUT", "/boot-source", "[1]", "expected a JSON object at the top level"),
            ("PUT", "/machine-config", #"{"vcpu_count": 2}"#, "missing field `mem_size_mib`"),
            ("PUT", "/machine-config", #"{"vcpu_count": "two", "mem_size_mib": 1}"#, "`vcpu_count`"),
            ("PUT", "/actions", Bodies.action("InstanceStart"), "no boot source"),
            ("PUT", "/actions", Bodies.action("Reboot"), "invalid value \"Reboot\""),
            ("PUT", "/drives/a", Bodies.rootfs, "does not match `drive_id`"),
            ("PUT", "/network-interfaces/eth1", Bodies.eth0, "does not match `iface_id`"),
            ("GET", "/nope", nil, "Invalid request method and/or path: GET /nope"),
            ("DELETE", "/boot-source", nil, "Invalid request method and/or path: DELETE /boot-source"),
            ("GET", "/boot-source", nil, "accepts PUT"),
            ("PUT", "/balloon", #"{"amount_mib": 1, "deflate_on_oom": true}"#, "swift-vmm does not support the balloon device"),
            ("PUT", "/mmds", "{}", "swift-vmm does not support MMDS"),
            ("PATCH", "/vm", Bodies.vm("Paused"), "not supported before starting"),
            ("PATCH", "/drives/rootfs", #"{"drive_id": "rootfs"}"#, "not supported before starting"),
            ("PUT", "/snapshot/create", Bodies.snapshot, "not supported before starting"),
            ("PUT", "/snapshot/load", #"{"snapshot_path": "/s", "mem_backend": {"backend_path": "/u", "backend_type": "Uffd"}}"#, "Uffd"),
        ]
        for (method, path, body, expected) in cases {
            let answer = try client.request(method, path, body)
            #expect(answer.status == 400, "\(method) \(path)")
            #expect(answer.faultMessage.contains(expected), "\(method) \(path): \(answer.body)")
            #expect(try client.request("GET", "/").status == 200, "same connection after \(method) \(path)")
            #expect(try server.client().request("GET", "/version").status == 200, "new connection after \(method) \(path)")
        }

        #expect(try client.request("PUT", "/boot-source", Bodies.bootSource).status == 204)
        #expect(try client.request("PUT", "/actions", Bodies.action("InstanceStart")).status == 204)
        for (method, path, body) in [
            ("PUT", "/boot-source", Bodies.bootSource),
            ("PUT", "/actions", Bodies.action("InstanceStart")),
            ("PUT", "/drives/rootfs", Bodies.rootfs),
            ("PUT", "/machine-config", Bodies.machine),
        ] {
            let answer = try client.request(method, path, body)
            #expect(answer.status == 400)
            #expect(answer.faultMessage.contains("not supported after starting the microVM"), "\(answer.body)")
        }
        let createRunning = try client.request("PUT", "/snapshot/create", Bodies.snapshot)
        #expect(createRunning.faultMessage.contains("must be paused"))
        #expect(server.driver.recorded == ["start /k/vmlinux drives=0"])
    }

    @Test("a body over the limit is refused with 400 and the connection goes on")
    func oversizedBody() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        let big = #"{"kernel_image_path": "/k", "boot_args": ""# + String(repeating: "a", count: 51_200) + "\"}"
        let answer = try client.request("PUT", "/boot-source", big)
        #expect(answer.status == 400)
        #expect(answer.faultMessage.contains("larger than the limit of 51200"), "\(answer.body)")
        #expect(try client.request("PUT", "/boot-source", Bodies.bootSource).status == 204)

        let small = try TestServer(maxBodySize: 64)
        defer { small.stop() }
        let smallClient = try small.client()
        // Chunked: no Content-Length up front, counted as it arrives.
        let chunk = String(repeating: "x", count: 100)
        try smallClient.sendRaw(
            "PUT /boot-source HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n\(chunk)\r\n0\r\n\r\n")
        let chunked = try smallClient.readResponse()
        #expect(chunked.status == 400)
        #expect(chunked.faultMessage.contains("limit of 64"))
        #expect(try smallClient.request("GET", "/").status == 200)
    }

    @Test("pipelined requests are answered in order; Connection: close closes")
    func pipeliningAndClose() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        try client.sendRaw(
            HTTPTestClient.format("PUT", "/boot-source", Bodies.bootSource)
                + HTTPTestClient.format("GET", "/nope", nil)
                + HTTPTestClient.format("GET", "/version", nil))
        #expect(try client.readResponse().status == 204)
        #expect(try client.readResponse().status == 400)
        #expect(try client.readResponse().status == 200)

        let closing = try server.client()
        let answer = try closing.request("GET", "/", headers: ["Connection: close"])
        #expect(answer.status == 200)
        #expect(answer.headers["connection"] == "close")
        #expect(closing.isClosedByServer())
    }

    @Test("a failing driver call is a 400 naming the failure; state is unchanged")
    func driverFailure() throws {
        let server = try TestServer()
        defer { server.stop() }
        server.driver.fail("start")
        let client = try server.client()
        #expect(try client.request("PUT", "/boot-source", Bodies.bootSource).status == 204)
        let answer = try client.request("PUT", "/actions", Bodies.action("InstanceStart"))
        #expect(answer.status == 400)
        #expect(answer.faultMessage == "InstanceStart failed: fake start failure")
        #expect(try client.request("GET", "/").decode(InstanceInfo.self).state == .notStarted)
    }
}
