/// What a non-blocking read or write on a host stream did.
public enum VsockStreamResult: Equatable, Sendable {
    /// This many bytes moved (more than zero).
    case transferred(Int)
    /// Nothing can move now; the owner calls `hostReady(token:)` when that changes.
    case wouldBlock
    /// End of file (read), or the peer is gone (write).
    case closed
    /// An error, described for the log.
    case failed(String)
}
