/// Everything configured before boot: the full VM configuration of `GET /vm/config` and of
/// Firecracker's `--config-file`.
///
/// The setters apply the same checks whether a resource comes from an API request or a
/// configuration file, and throw an `APIError` naming what is wrong.
public struct VMResources: Codable, Equatable, Sendable {
    public var bootSource: BootSource?
    public var machineConfig: MachineConfig
    /// Drives in boot order: the root device, if any, first.
    public var drives: [Drive]
    public var networkInterfaces: [NetworkInterface]
    public var vsock: Vsock?
    public var entropy: EntropyDevice?
    public var cpuConfig: CpuConfig?
    public var logger: LoggerConfig?
    public var metrics: MetricsConfig?

    public init(
        bootSource: BootSource? = nil, machineConfig: MachineConfig = .default, drives: [Drive] = [],
        networkInterfaces: [NetworkInterface] = [], vsock: Vsock? = nil, entropy: EntropyDevice? = nil,
        cpuConfig: CpuConfig? = nil, logger: LoggerConfig? = nil, metrics: MetricsConfig? = nil
    ) {
        self.bootSource = bootSource
        self.machineConfig = machineConfig
        self.drives = drives
        self.networkInterfaces = networkInterfaces
        self.vsock = vsock
        self.entropy = entropy
        self.cpuConfig = cpuConfig
        self.logger = logger
        self.metrics = metrics
    }

    // MARK: Setters with Firecracker's checks

    public mutating func setBootSource(_ source: BootSource) throws(APIError) {
        try source.validate()
        bootSource = source
    }

    public mutating func setMachineConfig(_ config: MachineConfig) throws(APIError) {
        try config.validate()
        machineConfig = config
    }

    /// Inserts a drive, or replaces the drive with the same id. One root device at most.
    public mutating func upsertDrive(_ drive: Drive) throws(APIError) {
        try drive.validate()
        if drive.isRootDevice,
            let other = drives.first(where: { $0.isRootDevice && $0.driveID != drive.driveID })
        {
            throw .invalidValue("A root block device already exists (drive \"\(other.driveID)\").")
        }
        if let index = drives.firstIndex(where: { $0.driveID == drive.driveID }) {
            drives.remove(at: index)
        }
        if drive.isRootDevice {
            drives.insert(drive, at: 0)
        } else {
            drives.append(drive)
        }
    }

    /// Inserts a network interface, or replaces the one with the same id. Host device
    /// names and guest MAC addresses must be unique.
    public mutating func upsertNetworkInterface(_ interface: NetworkInterface) throws(APIError) {
        try interface.validate()
        for other in networkInterfaces where other.ifaceID != interface.ifaceID {
            if other.hostDevName == interface.hostDevName {
                throw .invalidValue(
                    "The host device \(interface.hostDevName) is already used by interface \"\(other.ifaceID)\".")
            }
            if let mac = interface.guestMAC, let otherMAC = other.guestMAC,
                MACAddress(mac) == MACAddress(otherMAC)
            {
                throw .invalidValue("The guest MAC address \(mac) is already used by interface \"\(other.ifaceID)\".")
            }
        }
        if let index = networkInterfaces.firstIndex(where: { $0.ifaceID == interface.ifaceID }) {
            networkInterfaces[index] = interface
        } else {
            networkInterfaces.append(interface)
        }
    }

    public mutating func setVsock(_ device: Vsock) throws(APIError) {
        try device.validate()
        vsock = device
    }

    public mutating func setEntropy(_ device: EntropyDevice) throws(APIError) {
        try device.validate()
        entropy = device
    }

    public mutating func setCpuConfig(_ config: CpuConfig) {
        cpuConfig = config
    }

    // MARK: Codable: the configuration file's keys

    enum CodingKeys: String, CodingKey, CaseIterable {
        case bootSource = "boot-source", machineConfig = "machine-config", drives
        case networkInterfaces = "network-interfaces", vsock, entropy, cpuConfig = "cpu-config"
        case logger, metrics
        // Firecracker keys for resources swift-vmm does not have: accepted only as null or empty.
        case balloon, mmdsConfig = "mmds-config", serial, pmem, memoryHotplug = "memory-hotplug"
    }

    /// Decodes a configuration and applies every setter, so its errors are the API's.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "the VM configuration")
        try Self.refuseUnsupported(c)
        self.init()
        do {
            if let source = try c.decodeIfPresent(BootSource.self, forKey: .bootSource) {
                try setBootSource(source)
            }
            if let config = try c.decodeIfPresent(MachineConfig.self, forKey: .machineConfig) {
                try setMachineConfig(config)
            }
            for drive in try c.decodeIfPresent([Drive].self, forKey: .drives) ?? [] {
                try upsertDrive(drive)
            }
            for interface in try c.decodeIfPresent([NetworkInterface].self, forKey: .networkInterfaces) ?? [] {
                try upsertNetworkInterface(interface)
            }
            if let device = try c.decodeIfPresent(Vsock.self, forKey: .vsock) { try setVsock(device) }
            if let device = try c.decodeIfPresent(EntropyDevice.self, forKey: .entropy) { try setEntropy(device) }
            cpuConfig = try c.decodeIfPresent(CpuConfig.self, forKey: .cpuConfig)
            logger = try c.decodeIfPresent(LoggerConfig.self, forKey: .logger)
            metrics = try c.decodeIfPresent(MetricsConfig.self, forKey: .metrics)
        } catch let error as APIError {
            throw decoder.invalid(error.description)
        }
    }

    private static func refuseUnsupported(_ c: KeyedDecodingContainer<CodingKeys>) throws {
        let unsupported: [(CodingKeys, String)] = [
            (.balloon, "the balloon device"), (.mmdsConfig, "MMDS"), (.serial, "serial output configuration"),
            (.pmem, "virtio-pmem devices"), (.memoryHotplug, "memory hotplug"),
        ]
        for (key, what) in unsupported where c.contains(key) {
            if try c.decodeNil(forKey: key) { continue }
            if let list = try? c.decode([AnyJSONValue].self, forKey: key), list.isEmpty { continue }
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c, debugDescription: "swift-vmm does not support \(what) (`\(key.stringValue)`)")
        }
    }

    /// Encodes like Firecracker's `GET /vm/config`: absent resources as `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try encodeOrNull(&c, bootSource, .bootSource)
        try c.encode(machineConfig, forKey: .machineConfig)
        try c.encode(drives, forKey: .drives)
        try c.encode(networkInterfaces, forKey: .networkInterfaces)
        try encodeOrNull(&c, vsock, .vsock)
        try encodeOrNull(&c, entropy, .entropy)
        try encodeOrNull(&c, cpuConfig, .cpuConfig)
        try encodeOrNull(&c, logger, .logger)
        try encodeOrNull(&c, metrics, .metrics)
    }

    private func encodeOrNull<T: Encodable>(
        _ c: inout KeyedEncodingContainer<CodingKeys>, _ value: T?, _ key: CodingKeys
    ) throws {
        if let value {
            try c.encode(value, forKey: key)
        } else {
            try c.encodeNil(forKey: key)
        }
    }
}

/// Any JSON value, decoded only to be counted or ignored.
struct AnyJSONValue: Decodable {
    init(from decoder: any Decoder) throws {}
}
