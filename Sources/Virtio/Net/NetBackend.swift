/// Where a virtio-net device's frames come from and go to: a TAP device in the
/// VMM, a fake in tests. Frames are whole Ethernet frames without any virtio or
/// TUN header.
///
/// The device calls these methods from one thread at a time (the transport's
/// lock serialises it); neither may block.
public protocol NetBackend: AnyObject, Sendable {
    /// Reads one frame into `buffer`. A frame longer than the buffer may be
    /// truncated; the device gives a buffer one byte longer than the largest frame
    /// it accepts, so a length equal to the buffer's size means "too long".
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> NetReceiveResult
    /// Sends one frame.
    func send(_ frame: UnsafeRawBufferPointer) -> NetSendResult
}
