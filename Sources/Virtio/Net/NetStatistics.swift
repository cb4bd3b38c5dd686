/// What a virtio-net device has moved and dropped since it was created.
public struct NetStatistics: Equatable, Sendable {
    /// Frames (and their bytes, without the virtio header) delivered to the guest.
    public var framesReceived: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    /// Frames read from the back end and dropped: longer than the device accepts,
    /// or longer than the guest's receive buffer.
    public var receiveDropped: UInt64 = 0
    /// Back-end read errors.
    public var receiveErrors: UInt64 = 0
    /// Frames (and their bytes) the guest sent that the back end took.
    public var framesSent: UInt64 = 0
    public var bytesSent: UInt64 = 0
    /// Transmit chains dropped: malformed (shorter than the header, longer than
    /// the limit) or refused by the back end.
    public var transmitDropped: UInt64 = 0
    /// Back-end write errors (counted in `transmitDropped` as well).
    public var transmitErrors: UInt64 = 0

    public init() {}
}
