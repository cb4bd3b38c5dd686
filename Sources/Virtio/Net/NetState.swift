/// The mutable state of a `VirtioNet`, behind its mutex.
struct NetState {
    /// Length of the frame in the receive buffer that no guest buffer has taken yet.
    var pendingLength: Int?
    /// A receive chain taken from the ring but not used: the frame it was taken
    /// for did not fit, so it waits for the next one.
    var heldChain: DescriptorChain?
    var statistics = NetStatistics()
    var wakeUp: (@Sendable (Int) -> Void)?
    var log = HostileEventLog(prefix: "virtio-net", sink: { _ in })
}
