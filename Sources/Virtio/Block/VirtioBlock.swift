import Memory

/// virtio-blk (device ID 2) over a raw image file.
///
/// Requests: IN, OUT, FLUSH (fsync), GET_ID (a 20-byte serial) and DISCARD
/// (punches a hole, or writes zeroes). A request that reaches outside the image,
/// has a data length that is not a multiple of 512, or writes a read-only image
/// fails with IOERR before anything is read or written; the status byte, the last
/// writable byte of the chain, is written last.
///
/// The backing file can be replaced while the guest runs
/// (`VirtioMMIODevice.replaceBlockImage(path:)`): the image, the configuration
/// space and the config generation then change together, under the transport's
/// lock, which also serialises every request, so the request path takes no lock
/// of its own.
public final class VirtioBlock: VirtioDevice {
    /// Queue size offered (QueueNumMax).
    public static let queueSize: UInt16 = 256
    /// Largest sectors per discard segment offered in the configuration space.
    public static let maxDiscardSectors: UInt32 = 1 << 22
    /// Discard segments per request offered.
    public static let maxDiscardSegments: UInt32 = 1
    /// Discard alignment offered, in sectors (4 KiB).
    public static let discardAlignment: UInt32 = 8

    // Mutable only through `install(_:)` and `restoreConfigGeneration(_:)`, which
    // run under the transport's lock like every other call into the device (see
    // `VirtioDevice`): that lock is what makes these safe to share.
    nonisolated(unsafe) private(set) var image: BlockImage
    nonisolated(unsafe) private var config: [UInt8]
    nonisolated(unsafe) private var generation: UInt32 = 0
    private let serial: [UInt8]
    /// Whether the device is read-only; a replacement image is opened the same way.
    public let readOnly: Bool

    public let deviceID: UInt32 = 2
    public let queueCount = 1
    public let maxQueueSize = VirtioBlock.queueSize
    public let features: UInt64

    /// Opens the image at `path` (never creating or truncating it). Its size must
    /// be a multiple of 512. `serial` is what GET_ID returns (at most 20 bytes used).
    public init(path: String, readOnly: Bool = false, serial: String = "swift-vmm") throws(VirtioError) {
        image = try BlockImage(path: path, readOnly: readOnly)
        self.readOnly = readOnly
        self.serial = Array(serial.utf8.prefix(BlockRequest.idSize))
        var features = BlockRequest.featureSegmentMax | BlockRequest.featureFlush
        features |= readOnly ? BlockRequest.featureReadOnly : BlockRequest.featureDiscard
        self.features = features
        config = Self.makeConfig(capacity: image.size / 512, discard: !readOnly)
    }

    /// Capacity in 512-byte sectors. Like every device member that can change,
    /// read it under the transport's lock (`VirtioMMIODevice.blockImage`) while
    /// the image may be replaced.
    public var capacity: UInt64 { image.size / 512 }

    /// The path of the current backing file (same caveat as `capacity`).
    public var imagePath: String { image.path }

    /// Bumped each time the image is replaced (the capacity may have changed).
    public var configGeneration: UInt32 { generation }

    /// Makes `newImage` the backing file: requests from now on reach it, the
    /// configuration space holds its capacity, and the generation moves on.
    /// The caller holds the transport's lock and tells the driver
    /// (`VirtioMMIOTransport.configChanged()`).
    func install(_ newImage: BlockImage) {
        image = newImage
        config = Self.makeConfig(capacity: newImage.size / 512, discard: !readOnly)
        generation &+= 1
    }

    /// A snapshot taken after a replacement carries a later generation: take it.
    public func restoreConfigGeneration(_ generation: UInt32) -> Bool {
        self.generation = generation
        return true
    }

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
    ///
    /// The common request (a header in one descriptor, data, a status byte) is
    /// served without heap allocation: the header is loaded and the status stored
    /// in place, and the data buffers are walked where they lie in the chain.
    func handle(_ chain: DescriptorChain, memory: GuestMemory) -> UInt32 {
        let writableLength = chain.writableLength
        guard writableLength >= 1, let statusAddress = Self.lastByte(of: chain.writable) else {
            return 0  // nowhere to put a status: drop it
        }
        let (status, dataWritten) = serve(chain, dataInLength: writableLength - 1, memory: memory)
        do {
            try memory.store(status, at: statusAddress)
        } catch {
            return 0
        }
        return UInt32(dataWritten) + 1
    }

    /// The address of the last byte of a run of buffers (the status byte of a chain's
    /// writable run); nil when the run holds no byte.
    static func lastByte(of ranges: [GuestRange]) -> GuestAddress? {
        guard let last = ranges.last(where: { $0.size > 0 }) else { return nil }
        return GuestAddress(last.start.rawValue + (last.size - 1))
    }

    /// The request header at the start of the readable run: loaded in place when the
    /// first buffer holds all 16 bytes, else gathered across buffers.
    static func header(_ readable: [GuestRange], memory: GuestMemory) -> BlockRequest? {
        if let first = readable.first, first.size >= UInt64(BlockRequest.headerSize),
            let type = try? memory.load(UInt32.self, at: first.start),
            let sector = try? memory.load(UInt64.self, at: GuestAddress(first.start.rawValue + 8))
        {
            return BlockRequest(type: type, sector: sector)
        }
        let bytes = (try? readable.gather(from: memory, limit: BlockRequest.headerSize)) ?? []
        return BlockRequest(header: bytes)
    }

    /// The status and the data bytes written for one request. Data in is bytes
    /// `[0, dataInLength)` of the writable run, data out what follows the header in
    /// the readable run.
    private func serve(_ chain: DescriptorChain, dataInLength: UInt64, memory: GuestMemory) -> (UInt8, UInt64) {
        guard let request = Self.header(chain.readable, memory: memory) else { return (BlockRequest.statusIOError, 0) }
        let headerSize = UInt64(BlockRequest.headerSize)
        let dataOutLength = chain.readableLength - headerSize
        switch request.type {
        case BlockRequest.typeIn:
            let status = transfer(sector: request.sector, chain.writable, from: 0, length: dataInLength,
                                  write: false, memory: memory)
            return (status, status == BlockRequest.statusOK ? dataInLength : 0)
        case BlockRequest.typeOut:
            guard !image.readOnly else { return (BlockRequest.statusIOError, 0) }
            return (transfer(sector: request.sector, chain.readable, from: headerSize, length: dataOutLength,
                             write: true, memory: memory), 0)
        case BlockRequest.typeFlush:
            return (image.flush() ? BlockRequest.statusOK : BlockRequest.statusIOError, 0)
        case BlockRequest.typeGetID:
            let id = serial + [UInt8](repeating: 0, count: BlockRequest.idSize - serial.count)
            let dataIn = chain.writable.slice(from: 0, length: dataInLength)
            let count = (try? dataIn.scatter(id[...], into: memory)) ?? 0
            return (BlockRequest.statusOK, UInt64(count))
        case BlockRequest.typeDiscard where !image.readOnly:
            return (discard(chain.readable.slice(from: headerSize, length: dataOutLength), memory: memory), 0)
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

    /// Reads the image into (or, with `write`, writes it from) bytes
    /// `[offset, offset + length)` of the run `ranges`, starting at `sector`.
    private func transfer(sector: UInt64, _ ranges: [GuestRange], from offset: UInt64, length: UInt64, write: Bool,
                          memory: GuestMemory) -> UInt8 {
        guard var position = imageOffset(sector: sector, length: length) else { return BlockRequest.statusIOError }
        let done = ranges.forEachPiece(from: offset, length: length) { piece in
            guard let buffer = try? memory.buffer(at: piece.start, length: piece.size) else { return false }
            let ok = write ? image.write(from: UnsafeRawBufferPointer(buffer), at: position)
                : image.read(into: buffer, at: position)
            position += piece.size
            return ok
        }
        return done ? BlockRequest.statusOK : BlockRequest.statusIOError
    }
}
