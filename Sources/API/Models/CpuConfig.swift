/// A CPUID register a modifier edits.
public enum CPUIDRegister: String, StringEnumeration {
    case eax, ebx, ecx, edx
}

/// One register edit of a CPUID leaf.
public struct CPUIDRegisterModifier: Codable, Equatable, Sendable {
    public var register: CPUIDRegister
    public var bitmap: RegisterBitmap

    public init(register: CPUIDRegister, bitmap: RegisterBitmap) {
        self.register = register
        self.bitmap = bitmap
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case register, bitmap }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "CpuidRegisterModifier")
        register = try c.decode(CPUIDRegister.self, forKey: .register)
        let text = try c.decode(String.self, forKey: .bitmap)
        do {
            bitmap = try RegisterBitmap(parsing: text, width: 32)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .bitmap, in: c, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(register, forKey: .register)
        try c.encode(bitmap.description, forKey: .bitmap)
    }
}

/// Edits of one CPUID leaf and subleaf.
public struct CPUIDLeafModifier: Codable, Equatable, Sendable {
    public var leaf: UInt32
    public var subleaf: UInt32
    /// KVM's `kvm_cpuid_entry2.flags` for this entry.
    public var flags: UInt32
    public var modifiers: [CPUIDRegisterModifier]

    public init(leaf: UInt32, subleaf: UInt32, flags: UInt32, modifiers: [CPUIDRegisterModifier]) {
        self.leaf = leaf
        self.subleaf = subleaf
        self.flags = flags
        self.modifiers = modifiers
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case leaf, subleaf, flags, modifiers }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "CpuidLeafModifier")
        leaf = try decodeNumber(c, .leaf, max: UInt64(UInt32.max))
        subleaf = try decodeNumber(c, .subleaf, max: UInt64(UInt32.max))
        flags = try c.decode(UInt32.self, forKey: .flags)
        modifiers = try c.decode([CPUIDRegisterModifier].self, forKey: .modifiers)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hex(leaf), forKey: .leaf)
        try c.encode(hex(subleaf), forKey: .subleaf)
        try c.encode(flags, forKey: .flags)
        try c.encode(modifiers, forKey: .modifiers)
    }
}

/// An edit of one model-specific register's value.
public struct MSRModifier: Codable, Equatable, Sendable {
    public var address: UInt32
    public var bitmap: RegisterBitmap

    public init(address: UInt32, bitmap: RegisterBitmap) {
        self.address = address
        self.bitmap = bitmap
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case address = "addr", bitmap }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "MsrModifier")
        address = try decodeNumber(c, .address, max: UInt64(UInt32.max))
        let text = try c.decode(String.self, forKey: .bitmap)
        do {
            bitmap = try RegisterBitmap(parsing: text, width: 64)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .bitmap, in: c, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hex(address), forKey: .address)
        try c.encode(bitmap.description, forKey: .bitmap)
    }
}

/// A KVM capability to require (`"171"`) or to drop (`"!171"`).
public enum KVMCapabilityModifier: Equatable, Sendable, CustomStringConvertible {
    case add(UInt32)
    case remove(UInt32)

    init(parsing text: String) throws(APIError) {
        let removing = text.hasPrefix("!")
        let number = try parseNumber(String(text.dropFirst(removing ? 1 : 0)), "KVM capability")
        guard number <= UInt64(UInt32.max) else {
            throw .invalidValue("Invalid KVM capability \"\(text)\": too large.")
        }
        self = removing ? .remove(UInt32(number)) : .add(UInt32(number))
    }

    public var description: String {
        switch self {
        case .add(let capability): return "\(capability)"
        case .remove(let capability): return "!\(capability)"
        }
    }
}

/// A custom CPU template (`PUT /cpu-config`): KVM capabilities, CPUID and MSR edits (x86_64).
public struct CpuConfig: Codable, Equatable, Sendable {
    public var kvmCapabilities: [KVMCapabilityModifier]
    public var cpuidModifiers: [CPUIDLeafModifier]
    public var msrModifiers: [MSRModifier]

    public init(
        kvmCapabilities: [KVMCapabilityModifier] = [], cpuidModifiers: [CPUIDLeafModifier] = [],
        msrModifiers: [MSRModifier] = []
    ) {
        self.kvmCapabilities = kvmCapabilities
        self.cpuidModifiers = cpuidModifiers
        self.msrModifiers = msrModifiers
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kvmCapabilities = "kvm_capabilities", cpuidModifiers = "cpuid_modifiers"
        case msrModifiers = "msr_modifiers", regModifiers = "reg_modifiers", vcpuFeatures = "vcpu_features"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "CpuConfig")
        for key in [CodingKeys.regModifiers, .vcpuFeatures] where c.contains(key) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c,
                debugDescription: "`\(key.stringValue)` is for aarch64; swift-vmm runs x86_64 guests only"
            )
        }
        let capabilities = try c.decodeIfPresent([String].self, forKey: .kvmCapabilities) ?? []
        kvmCapabilities = []
        for text in capabilities {
            do {
                kvmCapabilities.append(try KVMCapabilityModifier(parsing: text))
            } catch {
                throw DecodingError.dataCorruptedError(
                    forKey: .kvmCapabilities, in: c, debugDescription: error.description)
            }
        }
        cpuidModifiers = try c.decodeIfPresent([CPUIDLeafModifier].self, forKey: .cpuidModifiers) ?? []
        msrModifiers = try c.decodeIfPresent([MSRModifier].self, forKey: .msrModifiers) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kvmCapabilities.map(\.description), forKey: .kvmCapabilities)
        try c.encode(cpuidModifiers, forKey: .cpuidModifiers)
        try c.encode(msrModifiers, forKey: .msrModifiers)
    }
}

/// Decodes a number given as a string (`"0x1f"`, `"0b1"`, `"31"`) or a JSON integer.
private func decodeNumber<Keys: CodingKey, Result: FixedWidthInteger>(
    _ c: KeyedDecodingContainer<Keys>, _ key: Keys, max: UInt64
) throws -> Result {
    let value: UInt64
    if let number = try? c.decode(UInt64.self, forKey: key) {
        value = number
    } else {
        let text = try c.decode(String.self, forKey: key)
        do {
            value = try parseNumber(text, "`\(key.stringValue)`")
        } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: error.description)
        }
    }
    guard value <= max, let result = Result(exactly: value) else {
        throw DecodingError.dataCorruptedError(
            forKey: key, in: c, debugDescription: "`\(key.stringValue)` \(value) is larger than \(max)")
    }
    return result
}

private func hex(_ value: UInt32) -> String {
    "0x" + String(value, radix: 16)
}
