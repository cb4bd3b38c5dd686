/// One virtio-net device over a host TAP device (`--net tap=NAME[,mac=MAC]`).
public struct NetConfiguration: Sendable, Equatable {
    /// The TAP interface to attach to.
    public var tap: String
    /// The guest's MAC address; nil: a locally administered one derived from the
    /// TAP name and the device's position (`MACAddress.generated`).
    public var mac: MACAddress?

    public init(tap: String, mac: MACAddress? = nil) {
        self.tap = tap
        self.mac = mac
    }

    static let usage = "use tap=NAME[,mac=AA:BB:CC:DD:EE:FF]"

    /// Parses `--net` values: `tap=NAME` and optionally `mac=AA:BB:CC:DD:EE:FF`,
    /// comma-separated, each once.
    public static func parse(_ text: String) throws(VMMError) -> NetConfiguration {
        var tap: String?
        var mac: MACAddress?
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let equals = part.firstIndex(of: "=") else {
                throw invalid("'\(part)' in '\(text)' is not KEY=VALUE (\(usage))")
            }
            let key = String(part[..<equals])
            let value = String(part[part.index(after: equals)...])
            switch key {
            case "tap":
                guard tap == nil else { throw invalid("'\(text)' gives tap= twice") }
                try checkInterfaceName(value)
                tap = value
            case "mac":
                guard mac == nil else { throw invalid("'\(text)' gives mac= twice") }
                mac = try parseMAC(value)
            default:
                throw invalid("unknown key '\(key)' in '\(text)' (\(usage))")
            }
        }
        guard let tap else { throw invalid("'\(text)' names no TAP device (\(usage))") }
        return NetConfiguration(tap: tap, mac: mac)
    }

    /// A unicast MAC address, or an error saying what is wrong with `text`.
    static func parseMAC(_ text: String) throws(VMMError) -> MACAddress {
        guard let mac = MACAddress(parsing: text) else {
            throw invalid("mac=\(text) is not a MAC address (six hex bytes: AA:BB:CC:DD:EE:FF)")
        }
        guard !mac.isMulticast else {
            throw invalid("mac=\(text) is a multicast address (the first byte is odd); use a unicast one such as 02:00:00:00:00:01")
        }
        guard mac.bytes != [0, 0, 0, 0, 0, 0] else { throw invalid("mac=\(text) is the all-zero address") }
        return mac
    }

    /// Checks `name` as Linux checks interface names: 1 to 15 bytes, not `.` or
    /// `..`, no `/`, `:` or white space.
    static func checkInterfaceName(_ name: String) throws(VMMError) {
        let bytes = name.utf8.count
        guard bytes > 0 else { throw invalid("tap= needs an interface name (\(usage))") }
        guard bytes <= 15 else {
            throw invalid("tap=\(name): the interface name is \(bytes) bytes; Linux allows at most 15")
        }
        guard name != ".", name != "..", !name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) else {
            throw invalid("tap=\(name): not a valid interface name (no '/', ':' or spaces; not '.' or '..')")
        }
    }

    private static func invalid(_ reason: String) -> VMMError {
        .invalidConfiguration(option: "--net", reason: reason)
    }
}
