/// Why a firmware table could not be built.
public enum FirmwareError: Error, Equatable, CustomStringConvertible {
    /// The MP table describes 1 to 254 CPUs: APIC IDs are 0..<count and the I/O
    /// APIC takes ID `count`, which must stay below the broadcast ID 0xFF.
    case cpuCountOutOfRange(Int, supported: ClosedRange<Int>)
    /// The MP floating pointer must start on a 16-byte boundary, or no guest finds it.
    case misalignedBase(UInt64)
    /// The MP structures hold 32-bit pointers, so the table must end below 4 GiB.
    case tableAbove4GiB(base: UInt64, size: Int)
    /// An AML name segment must be 1-4 characters of A-Z, 0-9 and `_`, not starting with a digit.
    case invalidAMLName(String)
    /// AML strings hold ASCII 0x01-0x7F.
    case invalidAMLString(String)
    /// An EISA ID is three capital letters and four hex digits ("PNP0501").
    case invalidEISAID(String)
    /// An AML term or package longer than its encoding allows.
    case amlTooLarge(Int)

    public var description: String {
        switch self {
        case .cpuCountOutOfRange(let count, let supported):
            "MP table: \(count) CPUs is outside \(supported.lowerBound)...\(supported.upperBound)"
                + " (the I/O APIC takes the APIC ID after the last CPU, below 0xFF)"
        case .misalignedBase(let base):
            "firmware table: base 0x\(String(base, radix: 16)) is not 16-byte aligned"
        case .tableAbove4GiB(let base, let size):
            "firmware table: \(size) bytes at 0x\(String(base, radix: 16)) do not fit below 4 GiB"
        case .invalidAMLName(let name):
            "AML: '\(name)' is not a name (segments of 1-4 characters A-Z, 0-9, _, not starting with a digit)"
        case .invalidAMLString(let text):
            "AML: string '\(text)' holds characters outside ASCII 0x01-0x7F"
        case .invalidEISAID(let id):
            "AML: '\(id)' is not an EISA ID (three capital letters and four hex digits)"
        case .amlTooLarge(let count):
            "AML: \(count) is more than the encoding holds"
        }
    }
}
