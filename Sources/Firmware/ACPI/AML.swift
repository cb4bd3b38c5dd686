/// A small encoder for ACPI Machine Language (ACPI 6.5, chapter 20): just what a
/// static DSDT needs: scopes, devices, named objects, integers, strings, buffers
/// and packages. Each function returns the encoded bytes of one term, so terms
/// nest by passing bytes to their parent.
public enum AML {
    /// Opcodes and prefixes (ACPI 6.5, section 20.3).
    public enum Op {
        public static let zero: UInt8 = 0x00
        public static let one: UInt8 = 0x01
        public static let name: UInt8 = 0x08
        public static let bytePrefix: UInt8 = 0x0A
        public static let wordPrefix: UInt8 = 0x0B
        public static let dwordPrefix: UInt8 = 0x0C
        public static let stringPrefix: UInt8 = 0x0D
        public static let qwordPrefix: UInt8 = 0x0E
        public static let scope: UInt8 = 0x10
        public static let buffer: UInt8 = 0x11
        public static let package: UInt8 = 0x12
        public static let extendedPrefix: UInt8 = 0x5B
        /// After `extendedPrefix`.
        public static let device: UInt8 = 0x82
        public static let dualNamePrefix: UInt8 = 0x2E
        public static let multiNamePrefix: UInt8 = 0x2F
        public static let rootChar: UInt8 = 0x5C
        public static let parentPrefix: UInt8 = 0x5E
        public static let ones: UInt8 = 0xFF
    }

    /// The largest PkgLength: 28 bits.
    public static let maximumPackageLength = (1 << 28) - 1

    /// PkgLength for a term whose contents after the PkgLength are `count` bytes;
    /// the encoded length counts its own bytes too (1 to 4 of them).
    public static func packageLength(_ count: Int) throws(FirmwareError) -> [UInt8] {
        if count + 1 < 64 { return [UInt8(count + 1)] }
        for extra in 1...3 {
            let total = count + 1 + extra
            guard total < 1 << (4 + 8 * extra) else { continue }
            var bytes = [UInt8(extra << 6) | UInt8(total & 0x0F)]
            for i in 0..<extra { bytes.append(UInt8(truncatingIfNeeded: total >> (4 + 8 * i))) }
            return bytes
        }
        throw .amlTooLarge(count)
    }

    /// A NameString: an optional root (`\`) or parent (`^`) prefixes, then segments
    /// separated by dots. Each segment is 1-4 characters of A-Z, 0-9 and `_`, not
    /// starting with a digit, padded with `_` to 4.
    public static func nameString(_ path: String) throws(FirmwareError) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = Substring(path)
        if rest.first == "\\" {
            bytes.append(Op.rootChar)
            rest = rest.dropFirst()
        } else {
            while rest.first == "^" {
                bytes.append(Op.parentPrefix)
                rest = rest.dropFirst()
            }
        }
        // Only a prefix may stand alone ("\\" is the root); "" names nothing.
        guard !rest.isEmpty || !bytes.isEmpty else { throw .invalidAMLName(path) }
        let segments = rest.isEmpty ? [] : rest.split(separator: ".", omittingEmptySubsequences: false)
        var encoded: [UInt8] = []
        for segment in segments { encoded += try nameSegment(segment, in: path) }
        switch segments.count {
        case 0: bytes.append(0)  // NullName: the root itself ("\").
        case 1: bytes += encoded
        case 2: bytes += [Op.dualNamePrefix] + encoded
        case 3...255: bytes += [Op.multiNamePrefix, UInt8(segments.count)] + encoded
        default: throw .invalidAMLName(path)
        }
        return bytes
    }

    private static func nameSegment(_ segment: Substring, in path: String) throws(FirmwareError) -> [UInt8] {
        let ascii = Array(segment.utf8)
        guard (1...4).contains(ascii.count) else { throw .invalidAMLName(path) }
        for (index, char) in ascii.enumerated() {
            let letter = (0x41...0x5A).contains(char) || char == 0x5F
            let digit = (0x30...0x39).contains(char)
            guard letter || (digit && index > 0) else { throw .invalidAMLName(path) }
        }
        return ascii + [UInt8](repeating: 0x5F, count: 4 - ascii.count)
    }

    /// An integer in its shortest encoding: Zero, One, Ones, or a byte, word,
    /// dword or qword constant.
    public static func integer(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8]
        switch value {
        case 0: return [Op.zero]
        case 1: return [Op.one]
        case UInt64.max: return [Op.ones]
        case ...0xFF: bytes = [Op.bytePrefix]; bytes.appendLE(UInt8(value))
        case ...0xFFFF: bytes = [Op.wordPrefix]; bytes.appendLE(UInt16(value))
        case ...0xFFFF_FFFF: bytes = [Op.dwordPrefix]; bytes.appendLE(UInt32(value))
        default: bytes = [Op.qwordPrefix]; bytes.appendLE(value)
        }
        return bytes
    }

    /// A string constant: ASCII 0x01-0x7F, NUL-terminated.
    public static func string(_ text: String) throws(FirmwareError) -> [UInt8] {
        let ascii = Array(text.utf8)
        guard ascii.allSatisfy({ (0x01...0x7F).contains($0) }) else { throw .invalidAMLString(text) }
        return [Op.stringPrefix] + ascii + [0]
    }

    /// A buffer holding `contents` (its size as an integer term, then the bytes).
    public static func buffer(_ contents: [UInt8]) throws(FirmwareError) -> [UInt8] {
        let inner = integer(UInt64(contents.count)) + contents
        return [Op.buffer] + (try packageLength(inner.count)) + inner
    }

    /// A package of up to 255 already encoded elements (integers, strings, ...).
    public static func package(_ elements: [[UInt8]]) throws(FirmwareError) -> [UInt8] {
        guard elements.count <= 255 else { throw .amlTooLarge(elements.count) }
        let inner = [UInt8(elements.count)] + elements.flatMap { $0 }
        return [Op.package] + (try packageLength(inner.count)) + inner
    }

    /// `Name (name, object)`.
    public static func name(_ name: String, _ object: [UInt8]) throws(FirmwareError) -> [UInt8] {
        [Op.name] + (try nameString(name)) + object
    }

    /// `Scope (name) { terms }`.
    public static func scope(_ name: String, _ terms: [[UInt8]]) throws(FirmwareError) -> [UInt8] {
        let inner = (try nameString(name)) + terms.flatMap { $0 }
        return [Op.scope] + (try packageLength(inner.count)) + inner
    }

    /// `Device (name) { terms }`.
    public static func device(_ name: String, _ terms: [[UInt8]]) throws(FirmwareError) -> [UInt8] {
        let inner = (try nameString(name)) + terms.flatMap { $0 }
        return [Op.extendedPrefix, Op.device] + (try packageLength(inner.count)) + inner
    }

    /// `EisaId ("PNP0501")`: three letters (5 bits each) and four hex digits,
    /// compressed into 32 bits as the byte sequence the specification gives.
    public static func eisaID(_ id: String) throws(FirmwareError) -> UInt32 {
        let ascii = Array(id.utf8)
        guard ascii.count == 7, ascii[0..<3].allSatisfy({ (0x41...0x5A).contains($0) }),
              let product = UInt16(String(decoding: ascii[3...], as: UTF8.self), radix: 16)
        else { throw .invalidEISAID(id) }
        let letters = ascii[0..<3].map { UInt32($0 - 0x40) }
        let byte0 = (letters[0] << 2) | (letters[1] >> 3)
        let byte1 = ((letters[1] & 0x7) << 5) | letters[2]
        return byte0 | byte1 << 8 | UInt32(product >> 8) << 16 | UInt32(product & 0xFF) << 24
    }
}
