/// The `--cpuid-file` format: a JSON array of edits, applied in order after the
/// template and `--cpu-features`:
///
///     [
///       {"leaf": "0x7", "subleaf": 0, "register": "ebx", "bit": 5, "value": 0},
///       {"leaf": "0x80000001", "register": "ecx", "mask": "0x21", "value": "0x1"},
///       {"leaf": 1, "register": "eax", "value": "0x000806f8", "comment": "family 6"}
///     ]
///
/// `leaf` (required) and `subleaf` (default 0) are numbers or strings in decimal
/// or 0x-hex; `register` is eax, ebx, ecx or edx. Then one of: `bit` (0-31) with
/// `value` 0/1 or false/true; `mask` with `value` (no bits outside the mask); or
/// `value` alone, the whole register. `comment` is ignored; any other key is an error.
public enum CPUIDEditFile {
    static let knownKeys: Set<String> = ["leaf", "subleaf", "register", "bit", "mask", "value", "comment"]

    public static func parse(_ bytes: [UInt8]) throws(CPUIDPolicyError) -> [CPUIDEdit] {
        guard case .array(let items) = try JSONValue.parse(bytes) else {
            throw .invalidJSON("the top level must be an array of edit objects, like [{\"leaf\": \"0x1\", ...}]")
        }
        var edits: [CPUIDEdit] = []
        for (index, item) in items.enumerated() {
            edits.append(try edit(item, index: index))
        }
        return edits
    }

    static func edit(_ item: JSONValue, index: Int) throws(CPUIDPolicyError) -> CPUIDEdit {
        guard case .object(let fields) = item else {
            throw .invalidEdit(index: index, field: "(entry)", reason: "expected an object, found \(item.kind)")
        }
        if let unknown = fields.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw .invalidEdit(index: index, field: unknown, reason: "unknown field (use leaf, subleaf, register, "
                + "bit, mask, value, comment)")
        }
        if let comment = fields["comment"] {
            guard case .string = comment else {
                throw .invalidEdit(index: index, field: "comment", reason: "expected a string, found \(comment.kind)")
            }
        }
        guard let leafValue = fields["leaf"] else {
            throw .invalidEdit(index: index, field: "leaf", reason: "missing")
        }
        let leaf = try number(leafValue, index: index, field: "leaf")
        let subleaf = try fields["subleaf"].map { value throws(CPUIDPolicyError) in
            try number(value, index: index, field: "subleaf")
        } ?? 0
        guard let registerValue = fields["register"] else {
            throw .invalidEdit(index: index, field: "register", reason: "missing (eax, ebx, ecx or edx)")
        }
        guard case .string(let registerName) = registerValue,
              let register = CPUIDRegister(rawValue: registerName.lowercased()) else {
            throw .invalidEdit(index: index, field: "register", reason: "\(describe(registerValue)) is not eax, ebx, ecx or edx")
        }
        guard let value = fields["value"] else {
            throw .invalidEdit(index: index, field: "value", reason: "missing")
        }
        if let bitValue = fields["bit"] {
            if fields["mask"] != nil {
                throw .invalidEdit(index: index, field: "mask", reason: "give either bit or mask, not both")
            }
            let bit = try number(bitValue, index: index, field: "bit")
            guard bit <= 31 else {
                throw .invalidEdit(index: index, field: "bit", reason: "\(bit) is out of range (0-31)")
            }
            let on: Bool
            switch value {
            case .bool(let flag): on = flag
            case .integer(0): on = false
            case .integer(1): on = true
            default:
                throw .invalidEdit(index: index, field: "value", reason: "\(describe(value)) is not a bit value "
                    + "(0, 1, false or true)")
            }
            return CPUIDEdit(leaf: leaf, subleaf: subleaf, register: register, bit: Int(bit), on: on)
        }
        let mask = try fields["mask"].map { value throws(CPUIDPolicyError) in
            try number(value, index: index, field: "mask")
        } ?? .max
        let bits = try number(value, index: index, field: "value")
        guard bits & ~mask == 0 else {
            throw .invalidEdit(index: index, field: "value", reason: "0x\(String(bits, radix: 16)) has bits "
                + "outside mask 0x\(String(mask, radix: 16))")
        }
        return CPUIDEdit(leaf: leaf, subleaf: subleaf, register: register, mask: mask, value: bits)
    }

    /// A 32-bit unsigned number: a JSON integer, or a string in decimal or 0x-hex.
    static func number(_ value: JSONValue, index: Int, field: String) throws(CPUIDPolicyError) -> UInt32 {
        switch value {
        case .integer(let number):
            guard let result = UInt32(exactly: number) else {
                throw .invalidEdit(index: index, field: field, reason: "\(number) is not between 0 and 0xffffffff")
            }
            return result
        case .string(let text):
            let lower = text.trimmingSpaces.lowercased()
            let parsed = lower.hasPrefix("0x") ? UInt64(lower.dropFirst(2), radix: 16) : UInt64(lower)
            guard let number = parsed else {
                throw .invalidEdit(index: index, field: field, reason: "\"\(text)\" is not a number "
                    + "(use decimal or 0x-hex)")
            }
            guard let result = UInt32(exactly: number) else {
                throw .invalidEdit(index: index, field: field, reason: "\(text) is not between 0 and 0xffffffff")
            }
            return result
        case .number(let number):
            throw .invalidEdit(index: index, field: field, reason: "\(number) is not a whole number")
        default:
            throw .invalidEdit(index: index, field: field, reason: "expected a number or a string such as \"0x7\", "
                + "found \(describe(value))")
        }
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return "\"\(text)\""
        case .integer(let number): return "\(number)"
        case .number(let number): return "\(number)"
        case .bool(let flag): return "\(flag)"
        default: return value.kind
        }
    }
}
