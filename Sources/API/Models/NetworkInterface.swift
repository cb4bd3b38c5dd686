/// A virtio-net interface backed by a host TAP device (`PUT /network-interfaces/{iface_id}`).
public struct NetworkInterface: Codable, Equatable, Sendable {
    public var ifaceID: String
    public var hostDevName: String
    public var guestMAC: String?
    public var rxRateLimiter: RateLimiter?
    public var txRateLimiter: RateLimiter?

    public init(
        ifaceID: String, hostDevName: String, guestMAC: String? = nil,
        rxRateLimiter: RateLimiter? = nil, txRateLimiter: RateLimiter? = nil
    ) {
        self.ifaceID = ifaceID
        self.hostDevName = hostDevName
        self.guestMAC = guestMAC
        self.rxRateLimiter = rxRateLimiter
        self.txRateLimiter = txRateLimiter
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ifaceID = "iface_id", hostDevName = "host_dev_name", guestMAC = "guest_mac"
        case rxRateLimiter = "rx_rate_limiter", txRateLimiter = "tx_rate_limiter"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "NetworkInterface")
        ifaceID = try c.decode(String.self, forKey: .ifaceID)
        hostDevName = try c.decode(String.self, forKey: .hostDevName)
        guestMAC = try c.decodeIfPresent(String.self, forKey: .guestMAC)
        rxRateLimiter = try c.decodeIfPresent(RateLimiter.self, forKey: .rxRateLimiter)
        txRateLimiter = try c.decodeIfPresent(RateLimiter.self, forKey: .txRateLimiter)
    }

    /// The longest Linux interface name (IFNAMSIZ - 1).
    static let maxHostDevName = 15

    func validate() throws(APIError) {
        try validateID(ifaceID, "iface_id")
        guard !hostDevName.isEmpty, hostDevName.utf8.count <= Self.maxHostDevName else {
            throw .invalidValue(
                "Invalid host_dev_name \"\(hostDevName)\": it must have 1 to \(Self.maxHostDevName) characters."
            )
        }
        if let guestMAC, MACAddress(guestMAC) == nil {
            throw .invalidValue("Invalid guest_mac \"\(guestMAC)\": expected six hex bytes like 06:00:ac:10:00:02.")
        }
        try requireNoRateLimit(rxRateLimiter, "network-interfaces.\(ifaceID).rx_rate_limiter")
        try requireNoRateLimit(txRateLimiter, "network-interfaces.\(ifaceID).tx_rate_limiter")
    }
}

/// A `PATCH /network-interfaces/{iface_id}` body: new rate limiters, after boot.
public struct PartialNetworkInterface: Codable, Equatable, Sendable {
    public var ifaceID: String
    public var rxRateLimiter: RateLimiter?
    public var txRateLimiter: RateLimiter?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ifaceID = "iface_id", rxRateLimiter = "rx_rate_limiter", txRateLimiter = "tx_rate_limiter"
    }

    public init(ifaceID: String, rxRateLimiter: RateLimiter? = nil, txRateLimiter: RateLimiter? = nil) {
        self.ifaceID = ifaceID
        self.rxRateLimiter = rxRateLimiter
        self.txRateLimiter = txRateLimiter
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "PartialNetworkInterface")
        ifaceID = try c.decode(String.self, forKey: .ifaceID)
        rxRateLimiter = try c.decodeIfPresent(RateLimiter.self, forKey: .rxRateLimiter)
        txRateLimiter = try c.decodeIfPresent(RateLimiter.self, forKey: .txRateLimiter)
    }
}

/// A MAC address parsed from `aa:bb:cc:dd:ee:ff`.
public struct MACAddress: Equatable, Sendable {
    public var bytes: [UInt8]

    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.utf8.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.bytes = bytes
    }
}
