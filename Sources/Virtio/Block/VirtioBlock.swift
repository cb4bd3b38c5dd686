import Memory

/// virtio-blk (device ID 2) over a raw image file.
///
/// Requests: IN, OUT, FLUSH (fsync), GET_ID (a 20-byte serial) and DISCARD
/// (punches a hole, or writes zeroes). A request that reaches outside the image,
/// has a data length that is not a multiple of 512, or writes a read-only image
/// fails with IOERR before anything is read or written; the status byte, the last
/// writable byte of the chain, is written last.
public final class VirtioBlock: VirtioDevice {
    /// Queue size offered (QueueNumMax).
    public static let queueSize: UInt16 = 256
    /// Largest sectors per discard segment offered in the configuration space.
    public static let maxDiscardSectors: UInt32 = 1 << 22
    /// Discard segments per request offered.
    public static let maxDiscardSegments: UInt32 = 1
    /// Discard alignment offered, in sectors (4 KiB).
    public static let discardAlignment: UInt32 = 8

    let image: BlockImage
    private let serial: [UInt8]
    private let config: [UInt8]

    public let deviceID: UInt32 = 2
    public let queueCount = 1
    public let maxQueueSize = VirtioBlock.queueSize
    public let features: UInt64

    /// Opens the image at `path` (never creating or truncating it). Its size must
    /// be a multiple of 512. `serial` is what GET_ID returns (at most 20 bytes used).
    public init(path: String, readOnly: Bool = false, serial: String = "swift-vmm") throws(VirtioError) {
        image = try BlockImage(path: path, readOnly: readOnly)
        self.serial = Array(serial.utf8.prefix(BlockRequest.idSize))
        var features = BlockRequest.featureSegmentMax | BlockRequest.featureFlush
        features |= readOnly ? BlockRequest.featureReadOnly : BlockRequest.featureDiscard
        self.features = features
        config = Self.makeConfig(capacity: image.size / 512, discard: !readOnly)
    }

    /// Capacity in 512-byte sectors.
    public var capacity: UInt64 { image.size / 512 }

    /// The configuration space: capacity, seg_max, and the discard limits.
    private static func makeConfig(capacity: UInt64, discard: Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 60)
        func put(_ value: UInt64, at offset: Int, count: Int) {
            for i in 0..<count { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }
        put(capacity, at: 0, count: 8)
        put(UInt64(queueSize - 2), at: 12, count: 4)  // seg_max: the header and status take two
        if discard {
            put(UInt64(maxDiscardSectors), at: 36, count: 4)
            put(UInt64(maxDiscardSegments), at: 40, count: 4)
            put(UInt64(discardAlignment), at: 44, count: 4)
        }
        return bytes
    }

    public func readConfig(at offset: Int) -> UInt8 {
        config.indices.contains(offset) ? config[offset] : 0
    }

    public func activate(features: UInt64) {}
    public func reset() {}

    public func process(queue: inout Virtqueue, index: Int, memory: GuestMemory) throws(VirtioError) -> Bool {
        while let chain = try queue.pop() {
            let written = handle(chain, memory: memory)
            try queue.addUsed(head: chain.head, length: written)
        }
        return try queue.needsInterrupt()
    }

    /// Serves one request; returns the bytes written into the chain.
    func handle(_ chain: DescriptorChain, memory: GuestMemory) -> UInt32 {
        let writableLength = chain.writableLength
        guard writableLength >= 1 else { return 0 }  // nowhere to put a status: drop it
        let statusByte = chain.writable.slice(from: writableLength - 1, length: 1)
        let dataIn = chain.writable.slice(from: 0, length: writableLength - 1)
        let (status, dataWritten) = serve(chain, dataIn: dataIn, memory: memory)
        do {
            try statusByte.scatter([status], into: memory)
        } catch {
            return 0
        }
        return UInt32(dataWritten) + 1
    }

    /// The status and the data bytes written for one request.
    private func serve(_ chain: DescriptorChain, dataIn: [GuestRange], memory: GuestMemory) -> (UInt8, UInt64) {
        let headerBytes = (try? chain.readable.gather(from: memory, limit: BlockRequest.headerSize)) ?? []
        guard let request = BlockRequest(header: headerBytes) else { return (BlockRequest.statusIOError, 0) }
        let readableLength = chain.readableLength
        let dataOut = chain.readable.slice(
            from: UInt64(BlockRequest.headerSize), length: readableLength - UInt64(BlockRequest.headerSize))
        switch request.type {
        case BlockRequest.typeIn:
            let status = read(sector: request.sector, into: dataIn, memory: memory)
            return (status, status == BlockRequest.statusOK ? dataIn.totalSize : 0)
        case BlockRequest.typeOut:
            return (write(sector: request.sector, from: dataOut, memory: memory), 0)
        case BlockRequest.typeFlush:
            return (image.flush() ? BlockRequest.statusOK : BlockRequest.statusIOError, 0)
        case BlockRequest.typeGetID:
            let id = serial + [UInt8](repeating: 0, count: BlockRequest.idSize - serial.count)
            let count = (try? dataIn.scatter(id[...], into: memory)) ?? 0
            return (BlockRequest.statusOK, UInt64(count))
        case BlockRequest.typeDiscard where !image.readOnly:
            return (discard(dataOut, memory: memory), 0)
        default:
            return (BlockRequest.statusUnsupported, 0)
        }
    }

    /// The byte offset of `sector` if `length` bytes from there fit in the image
    /// and `length` is whole sectors; nil otherwise.
    private func imageOffset(sector: UInt64, length: UInt64) -> UInt64? {
        let (offset, overflow) = sector.multipliedReportingOverflow(by: 512)
        guard !overflow, length % 512 == 0, image.contains(offset: offset, length: length) else { return nil }
        return offset
    }

    private func read(sector: UInt64, into ranges: [GuestRange], memory: GuestMemory) -> UInt8 {
        guard var offset = imageOffset(sector: sector, length: ranges.totalSize) else { return BlockRequest.statusIOError }
        for range in ranges {
            guard let buffer = try? memory.buffer(at: range.start, length: range.size),
                image.read(into: buffer, at: offset)
            else { return BlockRequest.statusIOError }
            offset += range.size
        }
        return BlockRequest.statusOK
    }

    private func write(sector: UInt64, from ranges: [GuestRange], memory: GuestMemory) -> UInt8 {
        guard !image.readOnly else { return BlockRequest.statusIOError }
        guard var offset = imageOffset(sector: sector, length: ranges.totalSize) else { return BlockRequest.statusIOError }
        for range in ranges {
            guard let buffer = try? memory.buffer(at: range.start, length: range.size),
                image.write(from: UnsafeRawBufferPointer(buffer), at: offset)
            else { return BlockRequest.statusIOError }
            offset += range.size
        }
        return BlockRequest.statusOK
    }
}
