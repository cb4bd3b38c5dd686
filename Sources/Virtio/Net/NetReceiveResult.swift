/// The outcome of `NetBackend.receive(into:)`.
public enum NetReceiveResult: Equatable, Sendable {
    /// A frame of this many bytes is in the buffer.
    case frame(Int)
    /// No frame is waiting; the back end will say when one arrives.
    case wouldBlock
    /// The read failed with this errno.
    case failed(Int32)
}
