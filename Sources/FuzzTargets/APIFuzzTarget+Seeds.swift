extension APIFuzzTarget {
    /// Requests of a Firecracker client's boot sequence, then pause, snapshot,
    /// resume and a few unsupported or malformed ones.
    static let sampleRequests: [(method: String, path: String, body: String)] = [
        ("GET", "/", ""),
        ("PUT", "/logger", #"{"log_path": "/tmp/fc.log", "level": "debug", "show_level": true}"#),
        ("PUT", "/metrics", #"{"metrics_path": "/tmp/fc.metrics"}"#),
        ("PUT", "/boot-source", #"{"kernel_image_path": "/k/vmlinux", "boot_args": "console=ttyS0 panic=1"}"#),
        ("PUT", "/drives/rootfs", #"{"drive_id": "rootfs", "path_on_host": "/d/rootfs.ext4", "is_root_device": true, "is_read_only": false}"#),
        ("PUT", "/network-interfaces/eth0", #"{"iface_id": "eth0", "host_dev_name": "tap0", "guest_mac": "06:00:ac:10:00:02"}"#),
        ("PUT", "/machine-config", #"{"vcpu_count": 2, "mem_size_mib": 256, "smt": false, "track_dirty_pages": true}"#),
        ("PATCH", "/machine-config", #"{"mem_size_mib": 128}"#),
        ("PUT", "/vsock", #"{"guest_cid": 3, "uds_path": "/tmp/v.sock"}"#),
        ("PUT", "/entropy", "{}"),
        ("PUT", "/cpu-config", #"{"cpuid_modifiers": [{"leaf": "0x1", "subleaf": "0x0", "flags": 0, "modifiers": [{"register": "ecx", "bitmap": "0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"}]}], "msr_modifiers": [{"addr": "0x10a", "bitmap": "0b01"}]}"#),
        ("PUT", "/actions", #"{"action_type": "InstanceStart"}"#),
        ("PATCH", "/vm", #"{"state": "Paused"}"#),
        ("PUT", "/snapshot/create", #"{"snapshot_type": "Full", "snapshot_path": "/s/vm.snap", "mem_file_path": "/s/vm.mem"}"#),
        ("PATCH", "/drives/rootfs", #"{"drive_id": "rootfs", "path_on_host": "/d/other.ext4"}"#),
        ("PATCH", "/vm", #"{"state": "Resumed"}"#),
        ("GET", "/vm/config", ""),
        ("PUT", "/balloon", #"{"amount_mib": 1}"#),
        ("PUT", "/snapshot/load", #"{"snapshot_path": "/s/vm.snap", "mem_backend": {"backend_type": "File", "backend_path": "/s/vm.mem"}}"#),
    ]

    static let configFile = #"""
        {"boot-source": {"kernel_image_path": "/k/vmlinux", "boot_args": "console=ttyS0"},
         "drives": [{"drive_id": "rootfs", "path_on_host": "/d/rootfs.ext4", "is_root_device": true, "is_read_only": true}],
         "machine-config": {"vcpu_count": 1, "mem_size_mib": 128},
         "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "tap0"}],
         "vsock": {"guest_cid": 3, "uds_path": "/tmp/v.sock"}}
        """#

    /// Seeds: the whole sequence as pipelined HTTP, each request alone as HTTP and
    /// at the route level, and a config file.
    static func seeds() -> [(name: String, bytes: [UInt8])] {
        var result: [(name: String, bytes: [UInt8])] = []
        var pipelined: [UInt8] = [0]
        var routeLevel: [UInt8] = [1]
        for (index, request) in sampleRequests.enumerated() {
            let http = httpRequest(request)
            pipelined += http
            result.append(("http-\(index)", [0] + http))
            let encoded = routeRequest(request)
            routeLevel += encoded
            result.append(("route-\(index)", [1] + encoded))
        }
        result.append(("http-sequence", pipelined))
        result.append(("route-sequence", routeLevel))
        result.append(("config-file", [2] + Array(configFile.utf8)))
        return result
    }

    static func httpRequest(_ request: (method: String, path: String, body: String)) -> [UInt8] {
        var text = "\(request.method) \(request.path) HTTP/1.1\r\nHost: localhost\r\n"
        if !request.body.isEmpty {
            text += "Content-Type: application/json\r\nContent-Length: \(request.body.utf8.count)\r\n"
        }
        return Array((text + "\r\n" + request.body).utf8)
    }

    static func routeRequest(_ request: (method: String, path: String, body: String)) -> [UInt8] {
        let method = UInt8(methods.firstIndex(of: request.method) ?? 0)
        let body = Array(request.body.utf8)
        return [method] + Array(request.path.utf8) + [0x0A, UInt8(body.count & 0xFF), UInt8(body.count >> 8)] + body
    }
}
