import Memory

/// The position of a chain walk: which table, its size, the current index, and
/// how many descriptors of this table have been visited.
struct DescriptorWalk {
    var table: GuestAddress
    var size: UInt32
    var index: UInt16
    var visited: UInt32 = 0
    var inIndirect = false

    init(table: GuestAddress, size: UInt32, index: UInt16) {
        self.table = table
        self.size = size
        self.index = index
    }

    /// Reads the descriptor at `index`, counting it against the loop bound.
    mutating func nextDescriptor(head: UInt16, memory: GuestMemory) throws(VirtioError) -> Descriptor {
        guard UInt32(index) < size else { throw .descriptorIndexOutOfRange(index: index, tableSize: size) }
        visited += 1
        guard visited <= size else { throw .descriptorLoop(head: head, limit: size) }
        return try Descriptor(table: table, index: index, memory: memory)
    }

    /// Continues the walk at entry 0 of the indirect table `descriptor` names.
    mutating func enterIndirect(_ descriptor: Descriptor, indirectAllowed: Bool, memory: GuestMemory)
        throws(VirtioError)
    {
        guard indirectAllowed else { throw .indirectNotNegotiated(index: index) }
        guard !inIndirect else { throw .nestedIndirect(index: index) }
        guard !descriptor.hasNext else { throw .indirectWithNext(index: index) }
        let entries = descriptor.length / UInt32(Descriptor.size)
        guard descriptor.length % UInt32(Descriptor.size) == 0, entries > 0,
            entries <= DescriptorChain.maxIndirectEntries
        else { throw .invalidIndirectLength(index: index, length: descriptor.length) }
        let address = GuestAddress(descriptor.address)
        guard address.adding(UInt64(descriptor.length)) != nil else {
            throw .bufferOverflow(index: index, address: address, length: descriptor.length)
        }
        guard memory.contains(address, length: UInt64(descriptor.length)) else {
            throw .bufferOutsideMemory(index: index, address: address, length: descriptor.length)
        }
        table = address
        size = entries
        index = 0
        visited = 0
        inIndirect = true
    }
}
