import Memory

/// DISCARD: every segment is checked (flags zero, within limits, inside the
/// image) before any is applied.
extension VirtioBlock {
    func discard(_ ranges: [GuestRange], memory: GuestMemory) -> UInt8 {
        let length = ranges.totalSize
        let segmentSize = UInt64(BlockRequest.discardSegmentSize)
        guard length > 0, length % segmentSize == 0,
            length / segmentSize <= UInt64(Self.maxDiscardSegments),
            let bytes = try? ranges.gather(from: memory, limit: Int(length))
        else { return BlockRequest.statusIOError }
        var extents: [(offset: UInt64, length: UInt64)] = []
        for start in stride(from: 0, to: bytes.count, by: BlockRequest.discardSegmentSize) {
            let sector = BlockRequest.littleEndian(bytes, at: start, count: 8) ?? 0
            let sectors = BlockRequest.littleEndian(bytes, at: start + 8, count: 4) ?? 0
            let flags = BlockRequest.littleEndian(bytes, at: start + 12, count: 4) ?? 0
            guard flags == 0 else { return BlockRequest.statusUnsupported }  // unmap or unknown flags
            guard sectors <= UInt64(Self.maxDiscardSectors) else { return BlockRequest.statusIOError }
            let (offset, overflow) = sector.multipliedReportingOverflow(by: 512)
            guard !overflow, image.contains(offset: offset, length: sectors * 512) else {
                return BlockRequest.statusIOError
            }
            extents.append((offset, sectors * 512))
        }
        for extent in extents where extent.length > 0 {
            guard image.discard(offset: extent.offset, length: extent.length) else { return BlockRequest.statusIOError }
        }
        return BlockRequest.statusOK
    }
}
