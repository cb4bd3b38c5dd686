/// The virtio-vsock device, proxied to Unix sockets at `uds_path` (`PUT /vsock`).
public struct Vsock: Codable, Equatable, Sendable {
    public var guestCID: UInt32
    public var udsPath: String
    /// Deprecated in Firecracker; accepted and kept.
    public var vsockID: String?

    public init(guestCID: UInt32, udsPath: String, vsockID: String? = nil) {
        self.guestCID = guestCID
        self.udsPath = udsPath
        self.vsockID = vsockID
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case guestCID = "guest_cid", udsPath = "uds_path", vsockID = "vsock_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "Vsock")
        guestCID = try c.decode(UInt32.self, forKey: .guestCID)
        udsPath = try c.decode(String.self, forKey: .udsPath)
        vsockID = try c.decodeIfPresent(String.self, forKey: .vsockID)
    }

    func validate() throws(APIError) {
        // CIDs 0, 1 and 2 are reserved (hypervisor, loopback, host); u32::MAX is VMADDR_CID_ANY.
        guard guestCID >= 3, guestCID != UInt32.max else {
            throw .invalidValue("Invalid guest_cid \(guestCID): it must be at least 3 and not 4294967295.")
        }
        try requirePath(udsPath, "uds_path")
    }
}

/// The virtio-rng device (`PUT /entropy`).
public struct EntropyDevice: Codable, Equatable, Sendable {
    public var rateLimiter: RateLimiter?

    public init(rateLimiter: RateLimiter? = nil) { self.rateLimiter = rateLimiter }

    enum CodingKeys: String, CodingKey, CaseIterable { case rateLimiter = "rate_limiter" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "EntropyDevice")
        rateLimiter = try c.decodeIfPresent(RateLimiter.self, forKey: .rateLimiter)
    }

    func validate() throws(APIError) {
        try requireNoRateLimit(rateLimiter, "entropy.rate_limiter")
    }
}
