extension APIController {
    /// Routes a matched request to its handler.
    func dispatch(_ match: Route.Match, _ request: APIRequest, _ state: inout State) throws(APIError) -> APIResponse {
        if let feature = match.route.unsupportedFeature {
            throw .unsupported("\(feature) (\(match.route.method) \(match.route.path))")
        }
        switch match.route {
        case .getInstanceInfo:
            return .json(
                InstanceInfo(
                    id: identity.id, state: state.instance, vmmVersion: identity.vmmVersion,
                    appName: identity.appName))
        case .getVersion:
            return .json(FirecrackerVersion(firecrackerVersion: identity.firecrackerVersion))
        case .getVMConfig:
            return .json(state.resources)
        case .getMachineConfig:
            return .json(state.resources.machineConfig)
        case .putMachineConfig:
            let config = try body(MachineConfig.self, request)
            try preBoot("PUT /machine-config", state)
            try state.resources.setMachineConfig(config)
            state.bootResourcesConfigured = true
        case .patchMachineConfig:
            let update = try body(MachineConfigUpdate.self, request)
            try preBoot("PATCH /machine-config", state)
            try state.resources.setMachineConfig(state.resources.machineConfig.applying(update))
            state.bootResourcesConfigured = true
        case .putBootSource:
            let source = try body(BootSource.self, request)
            try preBoot("PUT /boot-source", state)
            try state.resources.setBootSource(source)
            state.bootResourcesConfigured = true
        case .putDrive:
            let drive = try body(Drive.self, request)
            try sameID(match, "drive_id", drive.driveID)
            try preBoot("PUT /drives", state)
            try state.resources.upsertDrive(drive)
            state.bootResourcesConfigured = true
        case .patchDrive:
            let update = try body(PartialDrive.self, request)
            try sameID(match, "drive_id", update.driveID)
            try patchDrive(update, &state)
        case .putNetworkInterface:
            let interface = try body(NetworkInterface.self, request)
            try sameID(match, "iface_id", interface.ifaceID)
            try preBoot("PUT /network-interfaces", state)
            try state.resources.upsertNetworkInterface(interface)
            state.bootResourcesConfigured = true
        case .patchNetworkInterface:
            let update = try body(PartialNetworkInterface.self, request)
            try sameID(match, "iface_id", update.ifaceID)
            try patchNetworkInterface(update, state)
        case .putVsock:
            let device = try body(Vsock.self, request)
            try preBoot("PUT /vsock", state)
            try state.resources.setVsock(device)
            state.bootResourcesConfigured = true
        case .putEntropy:
            let device = try body(EntropyDevice.self, request)
            try preBoot("PUT /entropy", state)
            try state.resources.setEntropy(device)
            state.bootResourcesConfigured = true
        case .putCpuConfig:
            let config = try body(CpuConfig.self, request)
            try preBoot("PUT /cpu-config", state)
            state.resources.setCpuConfig(config)
            state.bootResourcesConfigured = true
        case .putLogger:
            let logger = try body(LoggerConfig.self, request)
            try configureLogger(logger, &state)
        case .putMetrics:
            let metrics = try body(MetricsConfig.self, request)
            try configureMetrics(metrics, &state)
        case .putActions:
            let action = try body(InstanceActionInfo.self, request)
            try perform(action.actionType, &state)
        case .patchVM:
            let request = try body(VMStateRequest.self, request)
            try changeState(to: request.state, &state)
        case .putSnapshotCreate:
            let parameters = try body(SnapshotCreateParams.self, request)
            try createSnapshot(parameters, state)
        case .putSnapshotLoad:
            let parameters = try body(SnapshotLoadParams.self, request)
            try loadSnapshot(parameters, &state)
        case .getBalloon, .putBalloon, .patchBalloon, .getBalloonStatistics, .patchBalloonStatistics,
            .patchBalloonHintingStart, .getBalloonHintingStatus, .patchBalloonHintingStop,
            .getMMDS, .putMMDS, .patchMMDS, .putMMDSConfig, .putSerial,
            .getHotplugMemory, .putHotplugMemory, .patchHotplugMemory, .putPmem:
            throw .unsupported("\(match.route.method) \(match.route.path)")
        }
        return .noContent
    }

    /// The id in the path must equal the id in the body.
    func sameID(_ match: Route.Match, _ field: String, _ bodyID: String) throws(APIError) {
        guard let pathID = match.parameter, pathID == bodyID else {
            throw .idMismatch(field: field, path: match.parameter ?? "", body: bodyID)
        }
    }

    func preBoot(_ operation: String, _ state: State) throws(APIError) {
        if state.instance != .notStarted { throw .notAllowedAfterBoot(operation: operation) }
    }

    func postBoot(_ operation: String, _ state: State) throws(APIError) {
        if state.instance == .notStarted { throw .notAllowedBeforeBoot(operation: operation) }
    }
}
