/// A vsock connection is named by its two ports (the CIDs are fixed: the guest's and 2).
public struct VsockConnectionKey: Hashable, Sendable, CustomStringConvertible {
    public var guestPort: UInt32
    public var hostPort: UInt32

    public init(guestPort: UInt32, hostPort: UInt32) {
        self.guestPort = guestPort
        self.hostPort = hostPort
    }

    public var description: String { "guest port \(guestPort) <-> host port \(hostPort)" }
}
