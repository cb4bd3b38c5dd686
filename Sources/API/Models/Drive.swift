/// How the block device caches writes.
public enum CacheType: String, StringEnumeration {
    case unsafe = "Unsafe"
    case writeback = "Writeback"
}

/// Which host I/O engine serves the block device.
public enum IOEngine: String, StringEnumeration {
    case sync = "Sync"
    case async = "Async"
}

/// A virtio-blk drive (`PUT /drives/{drive_id}`).
public struct Drive: Codable, Equatable, Sendable {
    public var driveID: String
    public var pathOnHost: String
    public var isRootDevice: Bool
    public var isReadOnly: Bool?
    public var partuuid: String?
    public var cacheType: CacheType?
    public var ioEngine: IOEngine?
    public var rateLimiter: RateLimiter?

    public init(
        driveID: String, pathOnHost: String, isRootDevice: Bool, isReadOnly: Bool? = nil,
        partuuid: String? = nil, cacheType: CacheType? = nil, ioEngine: IOEngine? = nil,
        rateLimiter: RateLimiter? = nil
    ) {
        self.driveID = driveID
        self.pathOnHost = pathOnHost
        self.isRootDevice = isRootDevice
        self.isReadOnly = isReadOnly
        self.partuuid = partuuid
        self.cacheType = cacheType
        self.ioEngine = ioEngine
        self.rateLimiter = rateLimiter
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case driveID = "drive_id", pathOnHost = "path_on_host", isRootDevice = "is_root_device"
        case isReadOnly = "is_read_only", partuuid, cacheType = "cache_type", ioEngine = "io_engine"
        case rateLimiter = "rate_limiter", socket
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "Drive")
        if try c.decodeIfPresent(String.self, forKey: .socket) != nil {
            throw decoder.invalid("swift-vmm does not support vhost-user-block drives (`socket`)")
        }
        driveID = try c.decode(String.self, forKey: .driveID)
        pathOnHost = try c.decode(String.self, forKey: .pathOnHost)
        isRootDevice = try c.decode(Bool.self, forKey: .isRootDevice)
        isReadOnly = try c.decodeIfPresent(Bool.self, forKey: .isReadOnly)
        partuuid = try c.decodeIfPresent(String.self, forKey: .partuuid)
        cacheType = try c.decodeIfPresent(CacheType.self, forKey: .cacheType)
        ioEngine = try c.decodeIfPresent(IOEngine.self, forKey: .ioEngine)
        rateLimiter = try c.decodeIfPresent(RateLimiter.self, forKey: .rateLimiter)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(driveID, forKey: .driveID)
        try c.encode(pathOnHost, forKey: .pathOnHost)
        try c.encode(isRootDevice, forKey: .isRootDevice)
        try c.encodeIfPresent(isReadOnly, forKey: .isReadOnly)
        try c.encodeIfPresent(partuuid, forKey: .partuuid)
        try c.encodeIfPresent(cacheType, forKey: .cacheType)
        try c.encodeIfPresent(ioEngine, forKey: .ioEngine)
        try c.encodeIfPresent(rateLimiter, forKey: .rateLimiter)
    }

    func validate() throws(APIError) {
        try validateID(driveID, "drive_id")
        try requirePath(pathOnHost, "path_on_host")
        try requireNoRateLimit(rateLimiter, "drives.\(driveID).rate_limiter")
    }
}

/// A `PATCH /drives/{drive_id}` body: a new backing file, after boot.
public struct PartialDrive: Codable, Equatable, Sendable {
    public var driveID: String
    public var pathOnHost: String?
    public var rateLimiter: RateLimiter?

    public init(driveID: String, pathOnHost: String? = nil, rateLimiter: RateLimiter? = nil) {
        self.driveID = driveID
        self.pathOnHost = pathOnHost
        self.rateLimiter = rateLimiter
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case driveID = "drive_id", pathOnHost = "path_on_host", rateLimiter = "rate_limiter"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "PartialDrive")
        driveID = try c.decode(String.self, forKey: .driveID)
        pathOnHost = try c.decodeIfPresent(String.self, forKey: .pathOnHost)
        rateLimiter = try c.decodeIfPresent(RateLimiter.self, forKey: .rateLimiter)
    }

    func validate() throws(APIError) {
        try validateID(driveID, "drive_id")
        if let pathOnHost { try requirePath(pathOnHost, "path_on_host") }
        try requireNoRateLimit(rateLimiter, "drives.\(driveID).rate_limiter")
    }
}
