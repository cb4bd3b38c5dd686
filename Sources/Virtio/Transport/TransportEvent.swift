/// A change of driver state the VMM may want to hear about after a register write.
public enum TransportEvent: Sendable, Equatable {
    case none
    /// The driver set DRIVER_OK: the device is live.
    case activated
    /// The driver wrote 0 to Status: the device and its queues were reset.
    case reset
}
