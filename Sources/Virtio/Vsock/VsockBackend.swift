/// Opens host streams for connections the guest initiates.
public protocol VsockBackend: AnyObject, Sendable {
    /// The guest asked to connect to host port `port`. Returns the connected
    /// stream, or throws an error that says why not (the guest then gets RST).
    /// Must not block and must not call back into the device.
    func connect(toHostPort port: UInt32) throws -> any VsockHostStream
}
