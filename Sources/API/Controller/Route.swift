/// Every (method, path) the API answers, supported or not. The OpenAPI file
/// (docs/api/firecracker.yaml) lists exactly these; a test checks it.
public enum Route: CaseIterable, Sendable {
    case getInstanceInfo, getVersion, getVMConfig
    case getMachineConfig, putMachineConfig, patchMachineConfig
    case putBootSource, putDrive, patchDrive, putNetworkInterface, patchNetworkInterface
    case putVsock, putEntropy, putLogger, putMetrics, putActions, patchVM
    case putSnapshotCreate, putSnapshotLoad, putCpuConfig
    // Firecracker resources swift-vmm does not implement: always 400 with a fault message.
    case getBalloon, putBalloon, patchBalloon, getBalloonStatistics, patchBalloonStatistics
    case patchBalloonHintingStart, getBalloonHintingStatus, patchBalloonHintingStop
    case getMMDS, putMMDS, patchMMDS, putMMDSConfig, putSerial
    case getHotplugMemory, putHotplugMemory, patchHotplugMemory, putPmem

    /// The HTTP method.
    public var method: String {
        let name = String(describing: self)
        if name.hasPrefix("get") { return "GET" }
        if name.hasPrefix("patch") { return "PATCH" }
        return "PUT"
    }

    /// The path, with `{name}` for a path parameter.
    public var path: String {
        switch self {
        case .getInstanceInfo: return "/"
        case .getVersion: return "/version"
        case .getVMConfig: return "/vm/config"
        case .getMachineConfig, .putMachineConfig, .patchMachineConfig: return "/machine-config"
        case .putBootSource: return "/boot-source"
        case .putDrive, .patchDrive: return "/drives/{drive_id}"
        case .putNetworkInterface, .patchNetworkInterface: return "/network-interfaces/{iface_id}"
        case .putVsock: return "/vsock"
        case .putEntropy: return "/entropy"
        case .putLogger: return "/logger"
        case .putMetrics: return "/metrics"
        case .putActions: return "/actions"
        case .patchVM: return "/vm"
        case .putSnapshotCreate: return "/snapshot/create"
        case .putSnapshotLoad: return "/snapshot/load"
        case .putCpuConfig: return "/cpu-config"
        case .getBalloon, .putBalloon, .patchBalloon: return "/balloon"
        case .getBalloonStatistics, .patchBalloonStatistics: return "/balloon/statistics"
        case .patchBalloonHintingStart: return "/balloon/hinting/start"
        case .getBalloonHintingStatus: return "/balloon/hinting/status"
        case .patchBalloonHintingStop: return "/balloon/hinting/stop"
        case .getMMDS, .putMMDS, .patchMMDS: return "/mmds"
        case .putMMDSConfig: return "/mmds/config"
        case .putSerial: return "/serial"
        case .getHotplugMemory, .putHotplugMemory, .patchHotplugMemory: return "/hotplug/memory"
        case .putPmem: return "/pmem/{id}"
        }
    }

    /// For a route swift-vmm does not implement, what it is (for the fault message).
    public var unsupportedFeature: String? {
        switch self {
        case .getBalloon, .putBalloon, .patchBalloon, .getBalloonStatistics, .patchBalloonStatistics,
            .patchBalloonHintingStart, .getBalloonHintingStatus, .patchBalloonHintingStop:
            return "the balloon device"
        case .getMMDS, .putMMDS, .patchMMDS, .putMMDSConfig: return "MMDS (the microVM metadata service)"
        case .putSerial: return "serial output configuration"
        case .getHotplugMemory, .putHotplugMemory, .patchHotplugMemory: return "memory hotplug"
        case .putPmem: return "virtio-pmem devices"
        default: return nil
        }
    }

    /// The counter name: the path's resource, e.g. `drives` or `snapshot_create`.
    public var metricName: String {
        let trimmed = path.split(separator: "/").filter { !$0.hasPrefix("{") }
        let name = trimmed.joined(separator: "_").replacingDashes()
        return "\(method.lowercased())_\(name.isEmpty ? "instance_info" : name)"
    }

    /// A matched request: the route and the path parameter, if the route has one.
    public struct Match: Equatable, Sendable {
        public var route: Route
        public var parameter: String?

        public init(route: Route, parameter: String?) {
            self.route = route
            self.parameter = parameter
        }
    }

    /// What `match` found for a method and path.
    public enum Lookup: Equatable, Sendable {
        case found(Match)
        /// The path exists with other methods.
        case wrongMethod(allowed: [String])
        case notFound
    }

    /// Finds the route for `method` and `path` (query string ignored).
    public static func match(method: String, path rawPath: String) -> Lookup {
        let path = rawPath.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var allowed: [String] = []
        for route in allCases {
            guard let parameter = route.bind(Array(segments)) else { continue }
            if route.method == method {
                return .found(Match(route: route, parameter: parameter.isEmpty ? nil : parameter))
            }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .wrongMethod(allowed: allowed)
    }

    /// Matches path segments against the template; returns the parameter ("" if none).
    private func bind(_ segments: [Substring]) -> String? {
        let template = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        // "/" splits into ["", ""]: one empty segment after dropFirst.
        guard template.count == segments.count else { return nil }
        var parameter = ""
        for (expected, actual) in zip(template, segments) {
            if expected.hasPrefix("{") {
                guard !actual.isEmpty else { return nil }
                parameter = String(actual)
            } else if expected != actual {
                return nil
            }
        }
        return parameter
    }
}

extension String {
    fileprivate func replacingDashes() -> String {
        String(map { $0 == "-" ? "_" : $0 })
    }
}
