import Memory

/// What went wrong in a virtqueue, a descriptor chain or a device back end.
///
/// Each case names the offending value (descriptor index, address, length, size)
/// so that one log line says what a guest did wrong.
public enum VirtioError: Error, Equatable, CustomStringConvertible {
    /// A queue was used before the driver set QueueReady.
    case queueNotReady
    /// QueueNum is zero, not a power of two, or larger than QueueNumMax.
    case invalidQueueSize(UInt16, max: UInt16)
    /// A ring (`"descriptor table"`, `"driver area"`, `"device area"`) is not aligned as the spec requires.
    case misalignedRing(String, address: GuestAddress, alignment: UInt64)
    /// A ring does not lie wholly inside guest RAM.
    case ringOutsideMemory(String, address: GuestAddress, length: UInt64)
    /// The driver's avail idx is more than a queue size ahead of the last one seen.
    case availIndexTooFar(availIndex: UInt16, lastSeen: UInt16, size: UInt16)
    /// An avail ring entry names a descriptor head beyond the queue size.
    case headOutOfRange(head: UInt16, size: UInt16)
    /// A `next` field names a descriptor beyond its table.
    case descriptorIndexOutOfRange(index: UInt16, tableSize: UInt32)
    /// A chain visits more descriptors than its table holds: it loops.
    case descriptorLoop(head: UInt16, limit: UInt32)
    /// A buffer whose address plus length passes 2^64.
    case bufferOverflow(index: UInt16, address: GuestAddress, length: UInt32)
    /// A buffer not wholly inside one guest RAM region.
    case bufferOutsideMemory(index: UInt16, address: GuestAddress, length: UInt32)
    /// A device-readable descriptor after a device-writable one.
    case readableAfterWritable(index: UInt16)
    /// The readable or writable bytes of a chain add up to more than 2^32 - 1.
    case chainLengthOverflow(head: UInt16, total: UInt64)
    /// An indirect descriptor although VIRTIO_F_INDIRECT_DESC was not negotiated.
    case indirectNotNegotiated(index: UInt16)
    /// An indirect descriptor inside an indirect table.
    case nestedIndirect(index: UInt16)
    /// A descriptor with both INDIRECT and NEXT set.
    case indirectWithNext(index: UInt16)
    /// An indirect table length that is zero, not a multiple of 16, or too large.
    case invalidIndirectLength(index: UInt16, length: UInt32)
    /// A used ring entry for a head beyond the queue size (a device bug).
    case usedHeadOutOfRange(head: UInt16, size: UInt16)
    /// A guest memory access failed.
    case memory(MemoryError)
    /// A host call failed: the operation, what it was applied to, and errno.
    case hostCallFailed(String, target: String, errno: Int32)
    /// A disk image whose size is not a multiple of 512 bytes.
    case imageSizeNotSectorMultiple(path: String, size: UInt64)
    /// A disk image path that names neither a regular file nor a block device.
    case notADiskImage(path: String, kind: String)
    /// A block-device operation on a transport whose device is another type.
    case notABlockDevice(device: String)

    public var description: String {
        switch self {
        case .queueNotReady:
            return "queue used before QueueReady was set"
        case .invalidQueueSize(let size, let max):
            return "queue size \(size) is not a power of two in 1...\(max)"
        case .misalignedRing(let name, let address, let alignment):
            return "\(name) at \(address) is not \(alignment)-byte aligned"
        case .ringOutsideMemory(let name, let address, let length):
            return "\(name) of \(length) bytes at \(address) is outside guest RAM"
        case .availIndexTooFar(let availIndex, let lastSeen, let size):
            return "avail idx \(availIndex) is more than \(size) entries past \(lastSeen)"
        case .headOutOfRange(let head, let size):
            return "avail ring names descriptor \(head), queue size is \(size)"
        case .descriptorIndexOutOfRange(let index, let tableSize):
            return "descriptor index \(index) is outside a table of \(tableSize)"
        case .descriptorLoop(let head, let limit):
            return "chain from descriptor \(head) is longer than \(limit) descriptors (a loop)"
        case .bufferOverflow(let index, let address, let length):
            return "descriptor \(index): \(length) bytes at \(address) wrap past 2^64"
        case .bufferOutsideMemory(let index, let address, let length):
            return "descriptor \(index): \(length) bytes at \(address) are outside guest RAM"
        case .readableAfterWritable(let index):
            return "descriptor \(index) is device-readable but follows a device-writable one"
        case .chainLengthOverflow(let head, let total):
            return "chain from descriptor \(head) holds \(total) bytes, more than 2^32 - 1"
        case .indirectNotNegotiated(let index):
            return "descriptor \(index) is indirect but VIRTIO_F_INDIRECT_DESC was not negotiated"
        case .nestedIndirect(let index):
            return "descriptor \(index) is indirect inside an indirect table"
        case .indirectWithNext(let index):
            return "descriptor \(index) has both INDIRECT and NEXT set"
        case .invalidIndirectLength(let index, let length):
            return "descriptor \(index): indirect table length \(length) is zero, not a multiple of 16 or too large"
        case .usedHeadOutOfRange(let head, let size):
            return "used entry for descriptor \(head), queue size is \(size)"
        case .memory(let error):
            return error.description
        case .hostCallFailed(let operation, let target, let errno):
            return "\(operation) on \(target) failed: errno \(errno)"
        case .imageSizeNotSectorMultiple(let path, let size):
            return "disk image \(path) is \(size) bytes, not a multiple of 512"
        case .notADiskImage(let path, let kind):
            return "disk image \(path) is \(kind), not a regular file or a block device"
        case .notABlockDevice(let device):
            return "\(device) is not a virtio-blk device"
        }
    }
}
