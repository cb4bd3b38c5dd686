/// The host end of one vsock connection (a Unix socket in the VMM, a fake in tests).
///
/// Every call must return at once: the device calls them while it serves a queue.
/// `token` identifies the stream in `VirtioVsock.hostReady(token:)`, which the
/// owner calls when the stream may have become readable or writable.
public protocol VsockHostStream: AnyObject, Sendable {
    /// Unique among the streams of one device, never reused.
    var token: UInt64 { get }
    /// Reads up to `buffer.count` bytes.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> VsockStreamResult
    /// Writes some prefix of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) -> VsockStreamResult
    /// No more bytes will be written (the peer reads end of file).
    func shutdownWrite()
    /// Releases the stream; no call follows.
    func close()
}
