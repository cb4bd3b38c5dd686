/// A token bucket: `size` tokens, refilled over `refill_time` milliseconds, plus an initial burst.
public struct TokenBucket: Codable, Equatable, Sendable {
    public var size: UInt64
    public var oneTimeBurst: UInt64?
    public var refillTime: UInt64

    public init(size: UInt64, oneTimeBurst: UInt64? = nil, refillTime: UInt64) {
        self.size = size
        self.oneTimeBurst = oneTimeBurst
        self.refillTime = refillTime
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case size, oneTimeBurst = "one_time_burst", refillTime = "refill_time"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "TokenBucket")
        size = try c.decode(UInt64.self, forKey: .size)
        oneTimeBurst = try c.decodeIfPresent(UInt64.self, forKey: .oneTimeBurst)
        refillTime = try c.decode(UInt64.self, forKey: .refillTime)
    }

    /// A bucket of size 0 or refill time 0 limits nothing (Firecracker disables it).
    var limitsNothing: Bool { size == 0 || refillTime == 0 }
}

/// Firecracker's I/O rate limiter: a bandwidth bucket (bytes) and an operations bucket.
///
/// swift-vmm does not rate-limit I/O: a limiter that limits something is refused with a
/// fault message; an empty one (`{}`, or buckets of size 0) is accepted because it is a no-op.
public struct RateLimiter: Codable, Equatable, Sendable {
    public var bandwidth: TokenBucket?
    public var ops: TokenBucket?

    public init(bandwidth: TokenBucket? = nil, ops: TokenBucket? = nil) {
        self.bandwidth = bandwidth
        self.ops = ops
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case bandwidth, ops }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "RateLimiter")
        bandwidth = try c.decodeIfPresent(TokenBucket.self, forKey: .bandwidth)
        ops = try c.decodeIfPresent(TokenBucket.self, forKey: .ops)
    }

    /// True when neither bucket limits anything.
    public var limitsNothing: Bool {
        (bandwidth?.limitsNothing ?? true) && (ops?.limitsNothing ?? true)
    }
}

/// Refuses a rate limiter that would limit something; `field` names where it was given.
func requireNoRateLimit(_ limiter: RateLimiter?, _ field: String) throws(APIError) {
    if let limiter, !limiter.limitsNothing {
        throw .unsupported("I/O rate limiters (`\(field)`); omit it or give it no non-zero bucket")
    }
}

/// Firecracker's id rule for drives and network interfaces: 1-64 characters,
/// ASCII letters, digits and `_`.
func validateID(_ id: String, _ what: String) throws(APIError) {
    guard !id.isEmpty, id.utf8.count <= 64 else {
        throw .invalidValue("Invalid \(what) \"\(id)\": it must have 1 to 64 characters.")
    }
    for byte in id.utf8 {
        let ok = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
            || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        if !ok {
            throw .invalidValue("Invalid \(what) \"\(id)\": only ASCII letters, digits and `_` are allowed.")
        }
    }
}

/// Refuses an empty host path.
func requirePath(_ path: String, _ field: String) throws(APIError) {
    if path.isEmpty {
        throw .invalidValue("`\(field)` must not be empty.")
    }
}
