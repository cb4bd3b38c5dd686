extension APIController {
    /// `PUT /actions`.
    func perform(_ action: ActionType, _ state: inout State) throws(APIError) {
        switch action {
        case .instanceStart:
            try start(&state)
        case .sendCtrlAltDel:
            try postBoot("SendCtrlAltDel", state)
            try call("SendCtrlAltDel") { try driver.sendCtrlAltDel() }
        case .flushMetrics:
            try postBoot("FlushMetrics", state)
            try call("FlushMetrics") { try driver.flushMetrics() }
        }
    }

    /// `InstanceStart`: once, with a boot source.
    func start(_ state: inout State) throws(APIError) {
        try preBoot("InstanceStart", state)
        guard state.resources.bootSource != nil else {
            throw .invalidState(
                operation: "InstanceStart", reason: "no boot source is configured (PUT /boot-source first)")
        }
        let resources = state.resources
        try call("InstanceStart") { try driver.start(resources) }
        state.instance = .running
    }

    /// `PATCH /vm`.
    func changeState(to requested: VMRequestedState, _ state: inout State) throws(APIError) {
        switch requested {
        case .paused:
            try postBoot("PATCH /vm (Paused)", state)
            try call("Pause") { try driver.pause() }
            state.instance = .paused
        case .resumed:
            try postBoot("PATCH /vm (Resumed)", state)
            try call("Resume") { try driver.resume() }
            state.instance = .running
        }
    }

    /// `PATCH /drives/{id}`: after boot, on an existing drive.
    func patchDrive(_ update: PartialDrive, _ state: inout State) throws(APIError) {
        try update.validate()
        try postBoot("PATCH /drives", state)
        guard let index = state.resources.drives.firstIndex(where: { $0.driveID == update.driveID }) else {
            throw .invalidValue("Drive \"\(update.driveID)\" does not exist.")
        }
        try call("PATCH /drives/\(update.driveID)") { try driver.updateDrive(update) }
        if let path = update.pathOnHost {
            state.resources.drives[index].pathOnHost = path
        }
    }

    /// `PATCH /network-interfaces/{id}`: only rate limiters can change, and swift-vmm has none.
    func patchNetworkInterface(_ update: PartialNetworkInterface, _ state: State) throws(APIError) {
        try validateID(update.ifaceID, "iface_id")
        try postBoot("PATCH /network-interfaces", state)
        guard state.resources.networkInterfaces.contains(where: { $0.ifaceID == update.ifaceID }) else {
            throw .invalidValue("Network interface \"\(update.ifaceID)\" does not exist.")
        }
        try requireNoRateLimit(update.rxRateLimiter, "rx_rate_limiter")
        try requireNoRateLimit(update.txRateLimiter, "tx_rate_limiter")
    }

    /// `PUT /logger`: before boot, once.
    func configureLogger(_ logger: LoggerConfig, _ state: inout State) throws(APIError) {
        try preBoot("PUT /logger", state)
        guard !state.loggerConfigured else {
            throw .invalidState(operation: "PUT /logger", reason: "the logger is already configured")
        }
        try call("PUT /logger") { try driver.configureLogger(logger) }
        state.resources.logger = logger
        state.loggerConfigured = true
    }

    /// `PUT /metrics`: before boot, once.
    func configureMetrics(_ metrics: MetricsConfig, _ state: inout State) throws(APIError) {
        try preBoot("PUT /metrics", state)
        try requirePath(metrics.metricsPath, "metrics_path")
        guard !state.metricsConfigured else {
            throw .invalidState(operation: "PUT /metrics", reason: "the metrics are already configured")
        }
        try call("PUT /metrics") { try driver.configureMetrics(metrics) }
        state.resources.metrics = metrics
        state.metricsConfigured = true
    }

    /// `PUT /snapshot/create`: on a paused VM.
    func createSnapshot(_ parameters: SnapshotCreateParams, _ state: State) throws(APIError) {
        try parameters.validate()
        try postBoot("PUT /snapshot/create", state)
        guard state.instance == .paused else {
            throw .invalidState(
                operation: "PUT /snapshot/create",
                reason: "the microVM must be paused first (PATCH /vm {\"state\": \"Paused\"})")
        }
        if parameters.snapshotType == .diff && !state.resources.machineConfig.trackDirtyPages {
            throw .invalidState(
                operation: "PUT /snapshot/create",
                reason: "a Diff snapshot needs track_dirty_pages in the machine configuration")
        }
        try call("PUT /snapshot/create") { try driver.createSnapshot(parameters) }
    }

    /// `PUT /snapshot/load`: on a fresh instance, before any boot resource is configured.
    func loadSnapshot(_ parameters: SnapshotLoadParams, _ state: inout State) throws(APIError) {
        try parameters.validate()
        try preBoot("PUT /snapshot/load", state)
        guard !state.bootResourcesConfigured else {
            throw .invalidState(
                operation: "PUT /snapshot/load",
                reason: "loading a snapshot is not allowed after configuring boot-specific resources")
        }
        let restored = try call("PUT /snapshot/load") { try driver.loadSnapshot(parameters) }
        let logger = state.resources.logger
        let metrics = state.resources.metrics
        state.resources = restored
        state.resources.logger = restored.logger ?? logger
        state.resources.metrics = restored.metrics ?? metrics
        state.instance = parameters.resumeVM == true ? .running : .paused
    }
}
