/// The outcome of `NetBackend.send(_:)`.
public enum NetSendResult: Equatable, Sendable {
    /// The frame was handed to the host.
    case sent
    /// The host could not take the frame now; it is dropped.
    case wouldBlock
    /// The write failed with this errno; the frame is dropped.
    case failed(Int32)
}
