import Memory

/// A validated descriptor chain: the buffers one request occupies.
///
/// Building a chain walks the descriptors from `head` and checks every rule a
/// hostile driver could break: indices inside their table, no loops (a chain may
/// not visit more descriptors than its table holds), every buffer inside guest RAM
/// without wrapping, readable buffers before writable ones, at most one level of
/// indirection, and totals that fit the 32-bit used length.
public struct DescriptorChain: Equatable, Sendable {
    /// Largest indirect table accepted, in descriptors (QEMU uses the same bound).
    public static let maxIndirectEntries: UInt32 = 1024
    /// Buffers of each direction an array is first made for (a virtio-blk request
    /// has 1 or 2 of each); more grow it.
    static let reservedBuffers = 4

    /// The head descriptor index, to be returned in the used ring.
    public let head: UInt16
    /// Device-readable buffers, in chain order.
    public private(set) var readable: [GuestRange] = []
    /// Device-writable buffers, in chain order.
    public private(set) var writable: [GuestRange] = []

    /// Total bytes the device may read.
    public var readableLength: UInt64 { readable.reduce(0) { $0 + $1.size } }
    /// Total bytes the device may write.
    public var writableLength: UInt64 { writable.reduce(0) { $0 + $1.size } }

    /// Walks the chain starting at `head` in the table at `table` of `tableSize` entries.
    public init(
        head: UInt16, table: GuestAddress, tableSize: UInt16, indirectAllowed: Bool, memory: GuestMemory
    ) throws(VirtioError) {
        self.head = head
        var walk = DescriptorWalk(table: table, size: UInt32(tableSize), index: head)
        var readTotal: UInt64 = 0
        var writeTotal: UInt64 = 0
        while true {
            let descriptor = try walk.nextDescriptor(head: head, memory: memory)
            if descriptor.isIndirect {
                try walk.enterIndirect(descriptor, indirectAllowed: indirectAllowed, memory: memory)
                continue
            }
            let range = try Self.buffer(descriptor, index: walk.index, memory: memory)
            if descriptor.isWritable {
                // One allocation for the usual few buffers, instead of one plus a
                // regrowth on the second append.
                if writable.isEmpty { writable.reserveCapacity(Self.reservedBuffers) }
                writable.append(range)
                writeTotal += range.size
            } else {
                guard writable.isEmpty else { throw .readableAfterWritable(index: walk.index) }
                if readable.isEmpty { readable.reserveCapacity(Self.reservedBuffers) }
                readable.append(range)
                readTotal += range.size
            }
            let largest = max(readTotal, writeTotal)
            guard largest <= UInt64(UInt32.max) else { throw .chainLengthOverflow(head: head, total: largest) }
            guard descriptor.hasNext else { return }
            walk.index = descriptor.next
        }
    }

    /// The buffer a plain descriptor names, checked against guest RAM.
    private static func buffer(_ descriptor: Descriptor, index: UInt16, memory: GuestMemory) throws(VirtioError)
        -> GuestRange
    {
        let address = GuestAddress(descriptor.address)
        guard address.adding(UInt64(descriptor.length)) != nil else {
            throw .bufferOverflow(index: index, address: address, length: descriptor.length)
        }
        guard memory.contains(address, length: UInt64(descriptor.length)) else {
            throw .bufferOutsideMemory(index: index, address: address, length: descriptor.length)
        }
        return GuestRange(start: address, size: UInt64(descriptor.length))
    }
}
