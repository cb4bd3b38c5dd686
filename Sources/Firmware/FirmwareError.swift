/// Why a firmware table could not be built.
public enum FirmwareError: Error, Equatable, CustomStringConvertible {
    /// The MP table describes 1 to 254 CPUs: APIC IDs are 0..<count and the I/O
    /// APIC takes ID `count`, which must stay below the broadcast ID 0xFF.
    case cpuCountOutOfRange(Int, supported: ClosedRange<Int>)
    /// The MP floating pointer must start on a 16-byte boundary, or no guest finds it.
    case misalignedBase(UInt64)
    /// The MP structures hold 32-bit pointers, so the table must end below 4 GiB.
    case tableAbove4GiB(base: UInt64, size: Int)

    public var description: String {
        switch self {
        case .cpuCountOutOfRange(let count, let supported):
            "MP table: \(count) CPUs is outside \(supported.lowerBound)...\(supported.upperBound)"
                + " (the I/O APIC takes the APIC ID after the last CPU, below 0xFF)"
        case .misalignedBase(let base):
            "MP table: base 0x\(String(base, radix: 16)) is not 16-byte aligned"
        case .tableAbove4GiB(let base, let size):
            "MP table: \(size) bytes at 0x\(String(base, radix: 16)) do not fit below 4 GiB"
        }
    }
}
