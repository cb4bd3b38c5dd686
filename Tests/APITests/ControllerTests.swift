import HTTPTestClient
import API
import Testing

/// The controller without sockets: Firecracker's ordering rules.
@Suite("APIController rules")
struct ControllerTests {
    let driver = FakeDriver()
    let controller: APIController

    init() { controller = APIController(driver: driver) }

    @discardableResult
    func send(_ method: String, _ path: String, _ body: String = "") -> APIResponse {
        controller.handle(APIRequest(method: method, path: path, body: Array(body.utf8)))
    }

    /// The fault message of an answer ("" for a success).
    func fault(_ response: APIResponse) -> String {
        HTTPTestResponse(status: response.status, headers: [:], body: String(decoding: response.body, as: UTF8.self))
            .faultMessage
    }

    @Test("snapshot/load is refused after a boot resource, allowed after logger and metrics")
    func snapshotLoadOrder() {
        let load = #"{"snapshot_path": "/s", "mem_file_path": "/m", "resume_vm": true}"#
        #expect(send("PUT", "/logger", Bodies.logger).status == 204)
        #expect(send("PUT", "/metrics", Bodies.metrics).status == 204)
        let other = APIController(driver: FakeDriver())
        _ = other.handle(APIRequest(method: "PUT", path: "/machine-config", body: Array(Bodies.machine.utf8)))
        let refused = other.handle(APIRequest(method: "PUT", path: "/snapshot/load", body: Array(load.utf8)))
        #expect(refused.status == 400)
        #expect(fault(refused).contains("after configuring boot-specific resources"))
        #expect(send("PUT", "/snapshot/load", load).status == 204)
        #expect(controller.instanceState == .running)
        #expect(fault(send("PUT", "/snapshot/load", load)).contains("after starting"))
    }

    @Test("snapshot/load needs exactly one memory source")
    func snapshotLoadMemorySource() {
        #expect(fault(send("PUT", "/snapshot/load", #"{"snapshot_path": "/s"}"#)).contains("has neither"))
        let both = #"{"snapshot_path": "/s", "mem_file_path": "/m", "mem_backend": {"backend_path": "/m", "backend_type": "File"}}"#
        #expect(fault(send("PUT", "/snapshot/load", both)).contains("has both"))
        let overrides = #"{"snapshot_path": "/s", "mem_file_path": "/m", "network_overrides": [{"iface_id": "a", "host_dev_name": "t"}]}"#
        #expect(fault(send("PUT", "/snapshot/load", overrides)).contains("network_overrides"))
    }

    @Test("logger and metrics are configured once")
    func loggerOnce() {
        #expect(send("PUT", "/logger", Bodies.logger).status == 204)
        #expect(fault(send("PUT", "/logger", Bodies.logger)).contains("already configured"))
        #expect(send("PUT", "/metrics", Bodies.metrics).status == 204)
        #expect(fault(send("PUT", "/metrics", Bodies.metrics)).contains("already configured"))
        #expect(driver.recorded == ["logger /tmp/fc.log", "metrics /tmp/fc.metrics"])
    }

    @Test("Diff snapshots need dirty page tracking; snapshot/create needs a paused VM")
    func snapshotCreate() {
        send("PUT", "/boot-source", Bodies.bootSource)
        send("PUT", "/actions", Bodies.action("InstanceStart"))
        let diff = #"{"snapshot_type": "Diff", "snapshot_path": "/s", "mem_file_path": "/m"}"#
        #expect(fault(send("PUT", "/snapshot/create", diff)).contains("must be paused"))
        send("PATCH", "/vm", Bodies.vm("Paused"))
        #expect(fault(send("PUT", "/snapshot/create", diff)).contains("track_dirty_pages"))
        #expect(send("PUT", "/snapshot/create", Bodies.snapshot).status == 204)
    }

    @Test("drives: one root device, root first, PATCH only for existing drives")
    func drives() {
        #expect(send("PUT", "/drives/data", Bodies.data).status == 204)
        #expect(send("PUT", "/drives/rootfs", Bodies.rootfs).status == 204)
        #expect(controller.resources.drives.map(\.driveID) == ["rootfs", "data"])
        let secondRoot = #"{"drive_id": "other", "path_on_host": "/o", "is_root_device": true}"#
        #expect(fault(send("PUT", "/drives/other", secondRoot)).contains("root block device already exists"))
        let badID = #"{"drive_id": "a-b", "path_on_host": "/o", "is_root_device": false}"#
        #expect(fault(send("PUT", "/drives/a-b", badID)).contains("Invalid drive_id"))
        let vhost = #"{"drive_id": "v", "socket": "/s", "is_root_device": false}"#
        #expect(fault(send("PUT", "/drives/v", vhost)).contains("vhost-user-block"))
        let limited = #"{"drive_id": "l", "path_on_host": "/l", "is_root_device": false, "rate_limiter": {"bandwidth": {"size": 100, "refill_time": 10}}}"#
        #expect(fault(send("PUT", "/drives/l", limited)).contains("does not support I/O rate limiters"))
        let unlimited = #"{"drive_id": "l", "path_on_host": "/l", "is_root_device": false, "rate_limiter": {}}"#
        #expect(send("PUT", "/drives/l", unlimited).status == 204)
        send("PUT", "/boot-source", Bodies.bootSource)
        send("PUT", "/actions", Bodies.action("InstanceStart"))
        #expect(fault(send("PATCH", "/drives/nope", #"{"drive_id": "nope", "path_on_host": "/x"}"#)).contains("does not exist"))
    }

    @Test("network interfaces: unique TAP device and MAC, valid MAC")
    func networkInterfaces() {
        #expect(send("PUT", "/network-interfaces/eth0", Bodies.eth0).status == 204)
        let sameTap = #"{"iface_id": "eth1", "host_dev_name": "tap0"}"#
        #expect(fault(send("PUT", "/network-interfaces/eth1", sameTap)).contains("already used"))
        let sameMAC = #"{"iface_id": "eth1", "host_dev_name": "tap1", "guest_mac": "06:00:AC:10:00:02"}"#
        #expect(fault(send("PUT", "/network-interfaces/eth1", sameMAC)).contains("already used"))
        let badMAC = #"{"iface_id": "eth1", "host_dev_name": "tap1", "guest_mac": "06:00:ac:10:00"}"#
        #expect(fault(send("PUT", "/network-interfaces/eth1", badMAC)).contains("Invalid guest_mac"))
    }

    @Test("machine-config validation")
    func machineConfig() {
        #expect(fault(send("PUT", "/machine-config", #"{"vcpu_count": 0, "mem_size_mib": 128}"#)).contains("vcpu_count 0"))
        #expect(fault(send("PUT", "/machine-config", #"{"vcpu_count": 3, "mem_size_mib": 128, "smt": true}"#)).contains("even"))
        #expect(fault(send("PUT", "/machine-config", #"{"vcpu_count": 1, "mem_size_mib": 129, "huge_pages": "2M"}"#)).contains("multiple of 2"))
        #expect(fault(send("PUT", "/machine-config", #"{"vcpu_count": 1, "mem_size_mib": 128, "huge_pages": "1G"}"#)).contains("invalid value \"1G\""))
        #expect(fault(send("PUT", "/machine-config", #"{"vcpu_count": 1, "mem_size_mib": 128, "cpu_template": "T2"}"#)).contains("static CPU template"))
        #expect(send("PATCH", "/machine-config", #"{"vcpu_count": 4}"#).status == 204)
        #expect(controller.resources.machineConfig == MachineConfig(vcpuCount: 4, memSizeMib: 128))
    }

    @Test("vsock guest CID must not be reserved")
    func vsockCID() {
        #expect(fault(send("PUT", "/vsock", #"{"guest_cid": 2, "uds_path": "/v"}"#)).contains("guest_cid 2"))
    }

    @Test("counters: per route, failures, and unmatched requests")
    func counters() {
        send("PUT", "/boot-source", Bodies.bootSource)
        send("PUT", "/boot-source", "{}")
        send("GET", "/nope")
        #expect(controller.metrics.counters(for: .putBootSource) == EndpointCounters(count: 2, fails: 1))
        #expect(controller.metrics.snapshot()[APIRequestMetrics.invalidRequests] == EndpointCounters(count: 1, fails: 1))
        #expect(Route.putSnapshotCreate.metricName == "put_snapshot_create")
        #expect(Route.getInstanceInfo.metricName == "get_instance_info")
    }

    @Test("route matching: path ids, query strings, missing ids")
    func routes() {
        #expect(Route.match(method: "PUT", path: "/drives/root?x=1") == .found(.init(route: .putDrive, parameter: "root")))
        #expect(Route.match(method: "PUT", path: "/drives/") == .notFound)
        #expect(Route.match(method: "GET", path: "/") == .found(.init(route: .getInstanceInfo, parameter: nil)))
        #expect(Route.match(method: "POST", path: "/vm") == .wrongMethod(allowed: ["PATCH"]))
    }

    @Test("startInstance boots a configuration without a request")
    func startInstance() throws {
        let config = APIController(driver: driver, resources: VMResources(bootSource: BootSource(kernelImagePath: "/k")))
        try config.startInstance()
        #expect(config.instanceState == .running)
        #expect(throws: APIError.notAllowedAfterBoot(operation: "InstanceStart")) { try config.startInstance() }
    }
}
