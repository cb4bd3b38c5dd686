import Memory

/// One 16-byte split-virtqueue descriptor, copied out of guest memory.
///
/// The device reads each descriptor once into this value and validates the copy,
/// so a guest that rewrites the table meanwhile cannot change what was checked.
public struct Descriptor: Equatable, Sendable {
    /// The buffer continues in the descriptor named by `next`.
    public static let flagNext: UInt16 = 1
    /// The buffer is device-writable (otherwise device-readable).
    public static let flagWrite: UInt16 = 2
    /// The buffer is a table of descriptors.
    public static let flagIndirect: UInt16 = 4
    /// Bytes per descriptor in a table.
    public static let size: UInt64 = 16

    public var address: UInt64
    public var length: UInt32
    public var flags: UInt16
    public var next: UInt16

    public init(address: UInt64, length: UInt32, flags: UInt16, next: UInt16) {
        self.address = address
        self.length = length
        self.flags = flags
        self.next = next
    }

    /// Reads descriptor `index` of the table at `table`.
    public init(table: GuestAddress, index: UInt16, memory: GuestMemory) throws(VirtioError) {
        let offset = UInt64(index) * Descriptor.size
        guard let location = table.adding(offset) else {
            throw .ringOutsideMemory("descriptor \(index)", address: table, length: offset + Descriptor.size)
        }
        let bytes: UnsafeMutableRawBufferPointer
        do {
            bytes = try memory.buffer(at: location, length: Descriptor.size)
        } catch {
            throw .ringOutsideMemory("descriptor \(index)", address: location, length: Descriptor.size)
        }
        address = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        length = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        flags = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        next = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
    }

    public var hasNext: Bool { flags & Descriptor.flagNext != 0 }
    public var isWritable: Bool { flags & Descriptor.flagWrite != 0 }
    public var isIndirect: Bool { flags & Descriptor.flagIndirect != 0 }
}
