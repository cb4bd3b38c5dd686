/// A virtio-vsock device in Firecracker's model: the guest's CID and the host
/// Unix socket path. Host clients connect to `udsPath` (and send `CONNECT
/// <port>\n`); guest connections to host port P go to `udsPath_P`.
public struct VsockConfiguration: Sendable, Equatable {
    /// The guest's context ID (3 or more: 0-2 are reserved, 0xFFFFFFFF is "any").
    public var guestCID: UInt32
    public var udsPath: String

    /// sun_path holds 108 bytes, its terminating NUL included.
    public static let socketPathCapacity = 108
    /// The longest `_<port>` suffix a guest connection adds to the path.
    static let longestPortSuffix = "_4294967295"

    public init(guestCID: UInt32, udsPath: String) {
        self.guestCID = guestCID
        self.udsPath = udsPath
    }

    /// Parses `--vsock` values: `cid=N,uds=PATH` (keys in any order).
    public static func parse(_ text: String) throws(VMMError) -> VsockConfiguration {
        func refuse(_ reason: String) -> VMMError {
            .invalidConfiguration(option: "--vsock", reason: reason + " (use cid=N,uds=PATH)")
        }
        var cid: String?
        var path: String?
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let equals = part.firstIndex(of: "=") else {
                throw refuse("'\(part)' in '\(text)' is not KEY=VALUE")
            }
            let key = String(part[..<equals])
            let value = String(part[part.index(after: equals)...])
            switch key {
            case "cid":
                guard cid == nil else { throw refuse("cid= is given twice in '\(text)'") }
                cid = value
            case "uds":
                guard path == nil else { throw refuse("uds= is given twice in '\(text)'") }
                path = value
            default:
                throw refuse("unknown key '\(key)' in '\(text)'")
            }
        }
        guard let cid else { throw refuse("cid= is missing in '\(text)'") }
        guard let path else { throw refuse("uds= is missing in '\(text)'") }
        let configuration = VsockConfiguration(guestCID: try parseCID(cid, refuse: refuse), udsPath: path)
        try configuration.validate()
        return configuration
    }

    private static func parseCID(_ text: String, refuse: (String) -> VMMError) throws(VMMError) -> UInt32 {
        guard let value = UInt64(text), value <= UInt64(UInt32.max) else {
            throw refuse("cid '\(text)' is not a decimal number below 2^32")
        }
        return UInt32(value)
    }

    /// Checks the CID and that every socket path fits sun_path.
    public func validate() throws(VMMError) {
        guard guestCID >= 3, guestCID < UInt32.max else {
            throw .invalidConfiguration(option: "--vsock", reason: "cid \(guestCID) is reserved: a guest CID is "
                + "at least 3 and below 4294967295 (0-2 are the hypervisor, local and host CIDs)")
        }
        guard !udsPath.isEmpty else {
            throw .invalidConfiguration(option: "--vsock", reason: "uds= is empty: give the host socket's path")
        }
        let longest = udsPath.utf8.count + Self.longestPortSuffix.utf8.count + 1
        guard longest <= Self.socketPathCapacity else {
            throw .invalidConfiguration(option: "--vsock", reason: "uds path '\(udsPath)' is too long: with "
                + "'\(Self.longestPortSuffix)' for guest connections it needs \(longest) bytes of sun_path's "
                + "\(Self.socketPathCapacity) (at most \(Self.socketPathCapacity - 1 - Self.longestPortSuffix.utf8.count) "
                + "bytes of path)")
        }
        guard !udsPath.utf8.contains(0) else {
            throw .invalidConfiguration(option: "--vsock", reason: "uds path contains a NUL byte")
        }
    }
}
