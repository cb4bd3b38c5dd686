/// A fixed block of host memory for one frame, allocated once when the device
/// is created so that no frame allocates.
///
/// Not synchronised: a device touches its buffers only while the transport's
/// lock serialises its calls.
final class FrameBuffer: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer

    init(capacity: Int) {
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { bytes.deallocate() }

    /// Bytes `[start, start + count)`.
    func slice(from start: Int, count: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: bytes[start..<(start + count)])
    }
}
