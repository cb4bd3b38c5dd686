/// `struct virtio_net_hdr` (virtio 1.2 section 5.1.6) in the VERSION_1 layout:
/// flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers.
///
/// Without checksum or segmentation offloads and without MRG_RXBUF, a received
/// frame's header is all zero except num_buffers = 1, and a transmitted frame's
/// header carries nothing the device needs: it is checked for length and skipped.
public enum NetHeader {
    /// Bytes of the header in front of every frame, both directions.
    public static let size = 12
    /// Offset of the little-endian num_buffers field.
    public static let numBuffersOffset = 10

    /// Writes the header of a received frame at the start of `buffer` (at least `size` bytes).
    static func writeReceived(into buffer: UnsafeMutableRawBufferPointer) {
        for index in 0..<size { buffer[index] = 0 }
        buffer.storeBytes(of: UInt16(1).littleEndian, toByteOffset: numBuffersOffset, as: UInt16.self)
    }
}
