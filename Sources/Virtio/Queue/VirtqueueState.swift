import Memory
import Snapshot

/// What a snapshot keeps of one split virtqueue: the driver's set-up (QueueNum,
/// QueueReady, the three ring addresses) and the device's progress through the
/// rings (next avail, next used, and the interrupt-suppression bookkeeping).
///
/// EVENT_IDX and INDIRECT_DESC are not kept: the transport derives them from the
/// negotiated features. Reading checks only what one queue can know (its
/// maximum size); `VirtioMMIOTransport` checks the rest against the status and
/// guest memory.
public struct VirtqueueState: Sendable, Equatable {
    public var maxSize: UInt16
    public var size: UInt16
    public var ready: Bool
    public var descriptorTable: UInt64
    public var driverArea: UInt64
    public var deviceArea: UInt64
    public var nextAvail: UInt16
    public var nextUsed: UInt16
    public var signalledUsed: UInt16?
    public var addedSinceDecision: Bool

    /// The state of `queue` as it is now.
    public init(_ queue: Virtqueue) {
        maxSize = queue.maxSize
        size = queue.size
        ready = queue.ready
        descriptorTable = queue.descriptorTable.rawValue
        driverArea = queue.driverArea.rawValue
        deviceArea = queue.deviceArea.rawValue
        nextAvail = queue.nextAvail
        nextUsed = queue.nextUsed
        signalledUsed = queue.signalledUsed
        addedSinceDecision = queue.addedSinceDecision
    }

    public func write(into writer: inout StateWriter) {
        writer.write(maxSize)
        writer.write(size)
        writer.write(ready)
        writer.write(descriptorTable)
        writer.write(driverArea)
        writer.write(deviceArea)
        writer.write(nextAvail)
        writer.write(nextUsed)
        writer.write(optional: signalledUsed) { $0.write($1) }
        writer.write(addedSinceDecision)
    }

    /// Reads queue `index`'s fields (named "queue <index> ..." in errors).
    public init(from reader: inout StateReader, index: Int) throws(SnapshotError) {
        let name = "queue \(index)"
        maxSize = try reader.readUInt16("\(name) max size")
        size = try reader.readUInt16("\(name) size")
        ready = try reader.readBool("\(name) ready")
        descriptorTable = try reader.readUInt64("\(name) descriptor table")
        driverArea = try reader.readUInt64("\(name) driver area")
        deviceArea = try reader.readUInt64("\(name) device area")
        nextAvail = try reader.readUInt16("\(name) next avail")
        nextUsed = try reader.readUInt16("\(name) next used")
        signalledUsed = try reader.readOptional("\(name) signalled used") { (reader: inout StateReader) throws(SnapshotError) in
            try reader.readUInt16("\(name) signalled used")
        }
        addedSinceDecision = try reader.readBool("\(name) added since decision")
    }
}

extension Virtqueue {
    /// Takes `state`'s set-up and ring progress. The caller has checked it.
    mutating func apply(_ state: VirtqueueState) {
        size = state.size
        ready = state.ready
        descriptorTable = GuestAddress(state.descriptorTable)
        driverArea = GuestAddress(state.driverArea)
        deviceArea = GuestAddress(state.deviceArea)
        nextAvail = state.nextAvail
        nextUsed = state.nextUsed
        signalledUsed = state.signalledUsed
        addedSinceDecision = state.addedSinceDecision
    }
}
