import Devices
import Memory
import Synchronization
import Virtio

/// A test's side of a split virtqueue: lays out the descriptor table, avail ring
/// and used ring in real guest memory, the way a driver would.
struct TestDriver {
    static let memorySize: UInt64 = 4 << 20
    let descriptorTable: GuestAddress
    let driverArea: GuestAddress
    let deviceArea: GuestAddress

    let memory: GuestMemory
    let size: UInt16
    var availIndex: UInt16 = 0

    /// Rings at `base` + 0x1000 (table), + 0x3000 (avail), + 0x4000 (used).
    init(size: UInt16 = 16, memory: GuestMemory? = nil, base: UInt64 = 0) throws {
        self.memory = try memory ?? GuestMemory(
            ranges: [GuestRange(start: GuestAddress(0), size: Self.memorySize)], hugePages: false)
        self.size = size
        descriptorTable = GuestAddress(base + 0x1000)
        driverArea = GuestAddress(base + 0x3000)
        deviceArea = GuestAddress(base + 0x4000)
    }

    /// A ready queue over these rings.
    func queue(maxSize: UInt16 = 256, eventIndex: Bool = false, indirect: Bool = false) -> Virtqueue {
        var queue = Virtqueue(maxSize: maxSize, memory: memory)
        queue.size = size
        queue.descriptorTable = descriptorTable
        queue.driverArea = driverArea
        queue.deviceArea = deviceArea
        queue.eventIndex = eventIndex
        queue.indirectDescriptors = indirect
        queue.ready = true
        return queue
    }

    /// Writes descriptor `index` of the table at `table`.
    func setDescriptor(
        _ index: UInt16, address: UInt64, length: UInt32, flags: UInt16 = 0, next: UInt16 = 0,
        table: GuestAddress? = nil
    ) throws {
        let base = (table ?? descriptorTable).rawValue + UInt64(index) * 16
        try memory.store(address, at: GuestAddress(base))
        try memory.store(length, at: GuestAddress(base + 8))
        try memory.store(flags, at: GuestAddress(base + 12))
        try memory.store(next, at: GuestAddress(base + 14))
    }

    /// Puts `head` in the avail ring and publishes it.
    mutating func publish(_ head: UInt16) throws {
        let slot = UInt64(availIndex % size)
        try memory.store(head, at: GuestAddress(driverArea.rawValue + 4 + 2 * slot))
        availIndex &+= 1
        try memory.store(availIndex, at: GuestAddress(driverArea.rawValue + 2))
    }

    /// Sets avail idx directly (to model a hostile driver).
    func setAvailIndex(_ value: UInt16) throws {
        try memory.store(value, at: GuestAddress(driverArea.rawValue + 2))
    }

    func setAvailFlags(_ flags: UInt16) throws {
        try memory.store(flags, at: driverArea)
    }

    func setUsedEvent(_ value: UInt16) throws {
        try memory.store(value, at: GuestAddress(driverArea.rawValue + 4 + 2 * UInt64(size)))
    }

    func availEvent() throws -> UInt16 {
        try memory.load(UInt16.self, at: GuestAddress(deviceArea.rawValue + 4 + 8 * UInt64(size)))
    }

    func usedIndex() throws -> UInt16 {
        try memory.load(UInt16.self, at: GuestAddress(deviceArea.rawValue + 2))
    }

    /// Used ring entry `slot`: (descriptor head, length written).
    func usedEntry(_ slot: UInt16) throws -> (head: UInt32, length: UInt32) {
        let base = deviceArea.rawValue + 4 + 8 * UInt64(slot % size)
        return (
            try memory.load(UInt32.self, at: GuestAddress(base)),
            try memory.load(UInt32.self, at: GuestAddress(base + 4))
        )
    }
}

/// Counts interrupts.
final class InterruptCounter: InterruptLine {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func trigger() { value.withLock { $0 += 1 } }
}

/// Collects log lines.
final class LogRecorder: Sendable {
    private let storage = Mutex<[String]>([])
    var lines: [String] { storage.withLock { $0 } }
    var sink: @Sendable (String) -> Void { { line in self.storage.withLock { $0.append(line) } } }
}
