/// Resource descriptors for `_CRS` (ACPI 6.5, section 6.4): the few a PC device
/// description needs, and the end tag that closes a `ResourceTemplate ()`.
public enum ResourceDescriptor: Sendable, Equatable {
    /// `IO (Decode16, base, base, 1, length)`: a fixed range of I/O ports.
    case io(base: UInt16, length: UInt8)
    /// `IRQNoFlags () {irq}`: an ISA interrupt, edge-triggered, active high.
    case irq(UInt8)
    /// `Memory32Fixed (ReadWrite, base, length)`.
    case memory32Fixed(base: UInt32, length: UInt32)
    /// `Interrupt (ResourceConsumer, Edge or Level, ActiveHigh, Exclusive) {gsi}`.
    case interrupt(gsi: UInt32, levelTriggered: Bool)

    /// The descriptor's bytes.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        switch self {
        case .io(let base, let length):
            // Small item 0x08, length 7; information bit 0: 16-bit decode.
            bytes = [0x47, 0x01]
            bytes.appendLE(base)
            bytes.appendLE(base)
            bytes += [0x01, length]
        case .irq(let irq):
            // Small item 0x04, length 2: the IRQ mask (no information byte).
            bytes = [0x22]
            bytes.appendLE(UInt16(1) << UInt16(irq & 0x0F))
        case .memory32Fixed(let base, let length):
            // Large item 0x06, length 9; information bit 0: read-write.
            bytes = [0x86]
            bytes.appendLE(UInt16(9))
            bytes.append(0x01)
            bytes.appendLE(base)
            bytes.appendLE(length)
        case .interrupt(let gsi, let level):
            // Large item 0x09, length 6: flags, one interrupt, the GSI.
            // Flags: bit 0 consumer, bit 1 edge (0: level), bit 2 active low, bit 3 shared.
            bytes = [0x89]
            bytes.appendLE(UInt16(6))
            bytes.append(level ? 0x01 : 0x03)
            bytes.append(1)
            bytes.appendLE(gsi)
        }
        return bytes
    }

    /// `ResourceTemplate () { descriptors }`: the descriptors and the end tag
    /// (small item 0x0F, length 1, checksum 0 meaning "not checked").
    public static func template(_ descriptors: [ResourceDescriptor]) -> [UInt8] {
        descriptors.flatMap(\.bytes) + [0x79, 0x00]
    }
}
