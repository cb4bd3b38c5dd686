import Logging
import Virtio

/// virtio-vsock in the machine: the device, its Unix-socket multiplexer, and
/// the multiplexer's epoll set on the I/O thread.
extension MachineBuilder {
    /// The device for `configuration`, with at most `maxConnections` open connections;
    /// its multiplexer listens on the uds path.
    static func makeVsock(_ configuration: VsockConfiguration, maxConnections: Int = 128) throws(VMMError) -> VirtioVsock {
        try configuration.validate()
        let multiplexer = try VsockMultiplexer(configuration)
        let logger = Logger(label: "swift-vmm.virtio")
        let device = VirtioVsock(guestCID: UInt64(configuration.guestCID), backend: multiplexer,
                                 maxConnections: maxConnections,
                                 log: { message in logger.warning("\(message)") })
        multiplexer.attach(device)
        return device
    }

    /// Has the I/O thread serve the vsock device's sockets, if there is one.
    static func watchVsock(_ devices: [any VirtioDevice], ioThread: IOThread) throws(VMMError) -> VsockMultiplexer? {
        let found = devices.lazy.compactMap { ($0 as? VirtioVsock)?.backend as? VsockMultiplexer }.first
        guard let multiplexer = found else { return nil }
        try ioThread.watch(descriptor: multiplexer.descriptor) { multiplexer.handleEvents() }
        return multiplexer
    }
}
