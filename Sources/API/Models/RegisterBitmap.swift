/// A register modifier's bitmap: `"0b"` followed by one character per bit, most
/// significant first: `0` clears the bit, `1` sets it, `x` leaves it alone. Underscores
/// may separate groups and are ignored.
///
/// Parsed into `mask` (the bits the modifier sets or clears) and `value` (their new
/// values); applying it to `r` gives `(r & ~mask) | value`.
public struct RegisterBitmap: Equatable, Sendable, CustomStringConvertible {
    public var width: Int
    public var mask: UInt64
    public var value: UInt64

    public init(width: Int, mask: UInt64, value: UInt64) {
        self.width = width
        self.mask = mask
        self.value = value & mask
    }

    /// Parses `text` as a bitmap of exactly `width` bits (32 or 64).
    public init(parsing text: String, width: Int) throws(APIError) {
        guard text.hasPrefix("0b") else {
            throw .invalidValue("Invalid bitmap \"\(text)\": it must start with 0b.")
        }
        var mask: UInt64 = 0
        var value: UInt64 = 0
        var count = 0
        for character in text.dropFirst(2) {
            if character == "_" { continue }
            guard character == "0" || character == "1" || character == "x" else {
                throw .invalidValue(
                    "Invalid bitmap \"\(text)\": unexpected character \"\(character)\" (use 0, 1, x or _)."
                )
            }
            count += 1
            guard count <= width else { break }
            mask <<= 1
            value <<= 1
            if character != "x" { mask |= 1 }
            if character == "1" { value |= 1 }
        }
        guard count == width else {
            throw .invalidValue("Invalid bitmap \"\(text)\": it has \(count) bits, expected \(width).")
        }
        self.init(width: width, mask: mask, value: value)
    }

    /// Applies the modifier to a register value.
    public func apply(to register: UInt64) -> UInt64 {
        (register & ~mask) | value
    }

    /// The `0b...` text this bitmap parses from.
    public var description: String {
        var text = "0b"
        for bit in stride(from: width - 1, through: 0, by: -1) {
            let selected: UInt64 = 1 << UInt64(bit)
            text += mask & selected == 0 ? "x" : (value & selected == 0 ? "0" : "1")
        }
        return text
    }
}

/// Parses `"0x1f"`, `"0b101"` or `"31"`; `what` names the field in the error.
func parseNumber(_ text: String, _ what: String) throws(APIError) -> UInt64 {
    let digits = text.replacingUnderscores()
    let parsed: UInt64?
    if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
        parsed = UInt64(digits.dropFirst(2), radix: 16)
    } else if digits.hasPrefix("0b") {
        parsed = UInt64(digits.dropFirst(2), radix: 2)
    } else {
        parsed = UInt64(digits)
    }
    guard let parsed else {
        throw .invalidValue("Invalid \(what) \"\(text)\": expected a number like 0x1f, 0b101 or 31.")
    }
    return parsed
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(filter { $0 != "_" })
    }
}
