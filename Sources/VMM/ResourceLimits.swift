import Memory

/// Upper bounds on what one VM may take from its host, in one place
/// (docs/security.md, "Resource limits"). Plain data in `MachineConfiguration`;
/// the CLI sets them with `--limit NAME=VALUE`. Exceeding one is an error (or, for
/// output files, a warning) that names the limit, never a crash.
public struct ResourceLimits: Sendable, Equatable {
    /// Guest RAM at most (`memory`, default 64 GiB).
    public var memory: UInt64 = 64 << 30
    /// virtio devices at most (`devices`, default and ceiling 15: one interrupt line each, GSI 9 being the ACPI SCI).
    public var devices: Int = VirtioLayout.capacity
    /// Bytes of log lines written at most, over the whole run (`log-bytes`, default
    /// 64 MiB); later lines are dropped and counted, after one line saying so.
    public var logBytes: UInt64 = 64 << 20
    /// Size of the `--trace` file at most (`trace-bytes`, default 256 MiB); events past
    /// it are left out and counted in the file.
    public var traceBytes: UInt64 = 256 << 20
    /// Open virtio-vsock connections at most (`vsock-connections`, default 128).
    public var vsockConnections: Int = 128

    public init() {}

    /// The names `--limit` accepts, with what each bounds.
    public static let names: [(name: String, what: String)] = [
        ("memory", "guest RAM (a size: 512M, 4G)"),
        ("devices", "virtio devices (1-\(VirtioLayout.capacity))"),
        ("log-bytes", "bytes of log lines over the run (a size)"),
        ("trace-bytes", "size of the --trace file (a size)"),
        ("vsock-connections", "open virtio-vsock connections (1-4096)"),
    ]

    /// Applies one `--limit NAME=VALUE` (sizes take K, M, G, T suffixes).
    public mutating func set(_ text: String) throws(VMMError) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw .invalidConfiguration(option: "--limit", reason: "'\(text)' is not NAME=VALUE (names: "
                + Self.names.map(\.name).joined(separator: ", ") + ")")
        }
        let (name, value) = (parts[0], parts[1])
        func size() throws(VMMError) -> UInt64 {
            guard let bytes = Self.parseSize(value), bytes > 0 else {
                throw .invalidConfiguration(option: "--limit", reason: "\(name)=\(value): expected a size "
                    + "above 0 such as 4096, 64K, 512M or 4G")
            }
            return bytes
        }
        func count(_ range: ClosedRange<Int>) throws(VMMError) -> Int {
            guard let number = Int(value), range.contains(number) else {
                throw .invalidConfiguration(option: "--limit", reason: "\(name)=\(value): expected a number "
                    + "from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        switch name {
        case "memory": memory = try size()
        case "devices": devices = try count(1...VirtioLayout.capacity)
        case "log-bytes": logBytes = try size()
        case "trace-bytes": traceBytes = try size()
        case "vsock-connections": vsockConnections = try count(1...4096)
        default:
            throw .invalidConfiguration(option: "--limit", reason: "unknown limit '\(name)' (names: "
                + Self.names.map(\.name).joined(separator: ", ") + ")")
        }
    }

    /// A byte count with the units `--memory` takes (K, M, G, T, optionally with
    /// `iB` or `B`; powers of 1024); nil if malformed.
    static func parseSize(_ text: String) -> UInt64? {
        try? MemorySize.parseBytes(text)
    }

    /// "64 GiB", "512 MiB", "1000 bytes": a size as a person reads it.
    public static func describe(bytes: UInt64) -> String {
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes >= 1 << shift {
            if bytes % (1 << shift) == 0 { return "\(bytes >> shift) \(unit)" }
        }
        return "\(bytes) bytes"
    }
}
