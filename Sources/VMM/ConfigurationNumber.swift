/// How configuration values spell numbers: "0x7c00", "0X7C00" or "31744".
public enum ConfigurationNumber {
    /// The unsigned 64-bit value of `text`, hexadecimal after "0x", else decimal; nil otherwise.
    public static func parse(_ text: String) -> UInt64? {
        let lower = text.lowercased()
        return lower.hasPrefix("0x") ? UInt64(lower.dropFirst(2), radix: 16) : UInt64(lower)
    }
}
