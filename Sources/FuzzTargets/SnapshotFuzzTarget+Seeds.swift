import Devices
import Snapshot
import Virtio

extension SnapshotFuzzTarget {
    /// Seeds: a state file saved from every device after some use (serial bytes
    /// written, the virtio devices brought up by a driver and notified), whole (mode
    /// 0), without its checksum (mode 1), and each section alone (modes 2 and up).
    static func seeds() -> [(name: String, bytes: [UInt8])] {
        let devices = makeFuzzStateDevices()
        for device in devices {
            if let transport = device.saving as? VirtioMMIODevice {
                let queues = transport.queueCount >= 2 ? 2 : 1
                var input = FuzzInput(VirtqueueFuzzTarget.driverInitialisation(queues: queues))
                VirtqueueFuzzTarget.drive(transport, &input)
            } else if let serial = device.saving as? SerialPort {
                for byte in Array("hello".utf8) {
                    _ = [byte].withUnsafeBytes { serial.write(offset: 0, data: $0) }
                }
            }
        }
        var file = StateFile()
        var result: [(name: String, bytes: [UInt8])] = []
        for (index, device) in devices.enumerated() {
            var writer = StateWriter()
            device.saving.saveState(into: &writer)
            file.set(device.name, writer.bytes)
            result.append(("section-\(device.name)", [UInt8(2 + index)] + writer.bytes))
        }
        let encoded = file.encoded()
        result.append(("state-file", [0] + encoded))
        result.append(("state-file-body", [1] + encoded.dropLast(4)))
        return result
    }
}
