import Virtio

/// virtio-net devices (`--net`): one TAP device each, watched by the I/O thread.
extension MachineBuilder {
    /// The virtio-net devices the configuration asks for, in order, each
    /// attached to its TAP device. A TAP device or MAC address given twice is
    /// refused.
    static func createNetDevices(_ configuration: MachineConfiguration) throws(VMMError)
        -> [(name: String, device: any VirtioDevice)]
    {
        var devices: [(name: String, device: any VirtioDevice)] = []
        var taps: Set<String> = []
        var macs: Set<MACAddress> = []
        for (index, net) in configuration.nets.enumerated() {
            guard taps.insert(net.tap).inserted else {
                throw .invalidConfiguration(option: "--net", reason: "tap=\(net.tap) is given twice; "
                    + "a TAP device backs one network device")
            }
            let mac = net.mac ?? MACAddress.generated(tap: net.tap, index: index)
            guard macs.insert(mac).inserted else {
                throw .invalidConfiguration(option: "--net", reason: "mac=\(mac) is given to two devices")
            }
            let tap = try Tap(name: net.tap)
            devices.append(("virtio-net", VirtioNet(backend: tap, mac: mac.bytes)))
        }
        return devices
    }

    /// Has the I/O thread watch each virtio-net device's TAP descriptor,
    /// edge-triggered: new input wakes the device's receive queue, which reads
    /// until the TAP device would block or the guest runs out of buffers (then
    /// the guest's next receive notification resumes it).
    static func watchNetBackends(_ devices: [(name: String, device: any VirtioDevice)], ioThread: IOThread)
        throws(VMMError)
    {
        for case let net as VirtioNet in devices.map(\.device) {
            guard let tap = net.backend as? Tap else { continue }
            try ioThread.watch(descriptor: tap.descriptor, edgeTriggered: true) { net.inputArrived() }
        }
    }
}
