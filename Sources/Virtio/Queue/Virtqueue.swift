import Memory
import Synchronization

/// A split virtqueue (virtio 1.2 section 2.7) as the device sees it.
///
/// The driver owns the descriptor table and the driver area (avail ring); the
/// device owns the device area (used ring). Guest memory is shared with running
/// vCPUs, so the ring indices are read and written with fences between them:
/// avail idx before the entries it publishes, used entries before used idx, and
/// a full fence between publishing used idx and reading used_event (or between
/// publishing avail_event and re-reading avail idx).
public struct Virtqueue: Sendable {
    /// Largest queue size the split ring format allows.
    public static let largestSize: UInt16 = 32768
    /// VIRTQ_AVAIL_F_NO_INTERRUPT: the driver does not want interrupts (without EVENT_IDX).
    public static let availNoInterrupt: UInt16 = 1

    /// QueueNumMax: the largest size the device supports.
    public let maxSize: UInt16
    /// QueueNum: the size the driver chose (initially `maxSize`).
    public var size: UInt16
    /// QueueReady.
    public var ready = false
    /// QueueDesc: the descriptor table.
    public var descriptorTable = GuestAddress(0)
    /// QueueDriver: the avail ring.
    public var driverArea = GuestAddress(0)
    /// QueueDevice: the used ring.
    public var deviceArea = GuestAddress(0)
    /// VIRTIO_F_EVENT_IDX was negotiated.
    public var eventIndex = false
    /// VIRTIO_F_INDIRECT_DESC was negotiated.
    public var indirectDescriptors = false

    /// The next avail ring entry the device will take.
    public internal(set) var nextAvail: UInt16 = 0
    /// The next used ring entry the device will fill.
    public internal(set) var nextUsed: UInt16 = 0
    /// `nextUsed` when the last interrupt decision was made (nil: none made yet).
    public internal(set) var signalledUsed: UInt16?
    /// Used entries were added since the last interrupt decision.
    public internal(set) var addedSinceDecision = false

    let memory: GuestMemory

    /// A queue of at most `maxSize` entries (1...32768) in `memory`.
    public init(maxSize: UInt16, memory: GuestMemory) {
        self.maxSize = min(max(maxSize, 1), Self.largestSize)
        self.size = self.maxSize
        self.memory = memory
    }

    /// Returns the queue to its state after a device reset.
    public mutating func reset() {
        self = Virtqueue(maxSize: maxSize, memory: memory)
    }

    /// Checks the size and the three areas: power-of-two size within `maxSize`,
    /// alignment (16, 2, 4) and every byte inside guest RAM.
    public func validate() throws(VirtioError) {
        guard size > 0, size <= maxSize, size & (size - 1) == 0 else {
            throw .invalidQueueSize(size, max: maxSize)
        }
        let count = UInt64(size)
        try check("descriptor table", descriptorTable, alignment: 16, length: count * Descriptor.size)
        try check("driver area", driverArea, alignment: 2, length: 6 + 2 * count)
        try check("device area", deviceArea, alignment: 4, length: 6 + 8 * count)
    }

    private func check(_ name: String, _ address: GuestAddress, alignment: UInt64, length: UInt64)
        throws(VirtioError)
    {
        guard address.rawValue % alignment == 0 else {
            throw .misalignedRing(name, address: address, alignment: alignment)
        }
        guard memory.contains(address, length: length) else {
            throw .ringOutsideMemory(name, address: address, length: length)
        }
    }

    /// Takes the next available descriptor chain, or nil when the driver has
    /// published none. With EVENT_IDX, an empty ring publishes avail_event so the
    /// driver notifies on its next buffer, then checks once more.
    public mutating func pop() throws(VirtioError) -> DescriptorChain? {
        guard ready else { throw .queueNotReady }
        var availIndex = try loadAvailIndex()
        if availIndex == nextAvail {
            guard eventIndex else { return nil }
            try store(nextAvail, at: deviceArea, offset: 4 + 8 * UInt64(size))
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            availIndex = try loadAvailIndex()
            if availIndex == nextAvail { return nil }
        }
        guard availIndex &- nextAvail <= size else {
            throw .availIndexTooFar(availIndex: availIndex, lastSeen: nextAvail, size: size)
        }
        let slot = UInt64(nextAvail & (size - 1))
        let head: UInt16 = try load(at: driverArea, offset: 4 + 2 * slot)
        nextAvail &+= 1
        guard head < size else { throw .headOutOfRange(head: head, size: size) }
        return try DescriptorChain(
            head: head, table: descriptorTable, tableSize: size,
            indirectAllowed: indirectDescriptors, memory: memory)
    }

    /// Gives back the chain the last `pop()` returned, unused: the next `pop()`
    /// returns it again (a device that found nothing to put in a receive buffer).
    public mutating func undoPop() {
        nextAvail &-= 1
    }

    /// Returns chain `head` to the driver with `length` bytes written into it.
    public mutating func addUsed(head: UInt16, length: UInt32) throws(VirtioError) {
        guard ready else { throw .queueNotReady }
        guard head < size else { throw .usedHeadOutOfRange(head: head, size: size) }
        let entry = 4 + 8 * UInt64(nextUsed & (size - 1))
        try store(UInt32(head), at: deviceArea, offset: entry)
        try store(length, at: deviceArea, offset: entry + 4)
        nextUsed &+= 1
        addedSinceDecision = true
        // The entry must be visible before the index that publishes it.
        atomicMemoryFence(ordering: .releasing)
        try store(nextUsed, at: deviceArea, offset: 2)
    }

    /// Whether the driver wants an interrupt for the used entries added since the
    /// last call: with EVENT_IDX, vring_need_event(used_event, new, old); without,
    /// unless VIRTQ_AVAIL_F_NO_INTERRUPT is set. False when nothing was added.
    public mutating func needsInterrupt() throws(VirtioError) -> Bool {
        guard ready else { throw .queueNotReady }
        guard addedSinceDecision else { return false }
        addedSinceDecision = false
        let new = nextUsed
        let old = signalledUsed
        // Our used idx store must be visible before we read the driver's suppression state.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        signalledUsed = new
        if eventIndex {
            let usedEvent: UInt16 = try load(at: driverArea, offset: 4 + 2 * UInt64(size))
            guard let old else { return true }
            return Self.needEvent(eventIndex: usedEvent, new: new, old: old)
        }
        let flags: UInt16 = try load(at: driverArea, offset: 0)
        return flags & Self.availNoInterrupt == 0
    }

    /// The spec's vring_need_event: whether `eventIndex` lies in `[old, new)`, mod 2^16.
    public static func needEvent(eventIndex: UInt16, new: UInt16, old: UInt16) -> Bool {
        new &- eventIndex &- 1 < new &- old
    }

    private func loadAvailIndex() throws(VirtioError) -> UInt16 {
        let index: UInt16 = try load(at: driverArea, offset: 2)
        // Ring entries must not be read before the index that publishes them.
        atomicMemoryFence(ordering: .acquiring)
        return index
    }

    private func load<T: FixedWidthInteger>(at base: GuestAddress, offset: UInt64) throws(VirtioError) -> T {
        do {
            return try memory.load(T.self, at: GuestAddress(base.rawValue &+ offset))
        } catch {
            throw .memory(error)
        }
    }

    private func store<T: FixedWidthInteger>(_ value: T, at base: GuestAddress, offset: UInt64) throws(VirtioError) {
        do {
            try memory.store(value, at: GuestAddress(base.rawValue &+ offset))
        } catch {
            throw .memory(error)
        }
    }
}
