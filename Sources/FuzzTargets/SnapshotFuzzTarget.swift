import Devices
import Memory
import Snapshot
import Virtio

/// Fuzzes the snapshot state file and the restore path of every device that saves
/// state: the serial port, the i8042, the CMOS, one virtio-mmio transport of each
/// device type (over the virtio targets' guest memory, with the rings of
/// `VirtqueueFuzzTarget.ringImage`) and the ACPI PM1 blocks and PM timer.
///
/// The first byte picks a mode: 0 `StateFile(decoding:)` of the rest as it is;
/// 1 the same after appending the rest's correct CRC-32 (so the parser behind the
/// checksum is reached), then each known section is restored into a fresh device;
/// 2 and up, the rest is one section's payload, restored into device
/// `(byte - 2) % count`. A restored virtio device then serves its ready queues and
/// answers a few register reads, as a restored machine would.
public enum SnapshotFuzzTarget {
    /// Returns the sections restored (mode 0: the sections decoded).
    @discardableResult
    public static func run(_ data: [UInt8]) -> Int {
        var input = FuzzInput(data)
        let mode = input.byte()
        let rest = input.rest()
        switch mode {
        case 0:
            return (try? StateFile(decoding: rest))?.sections.count ?? 0
        case 1:
            guard let file = try? StateFile(decoding: withChecksum(rest)) else { return 0 }
            var restored = 0
            for device in makeFuzzStateDevices() {
                guard var reader = try? file.reader(device.name) else { continue }
                if restore(device, from: &reader) { restored += 1 }
            }
            return restored
        default:
            let devices = makeFuzzStateDevices()
            let device = devices[Int(mode - 2) % devices.count]
            var reader = StateReader(rest, context: device.name)
            return restore(device, from: &reader) ? 1 : 0
        }
    }

    /// `body` followed by its CRC-32, little-endian, as `StateFile.encoded` ends.
    static func withChecksum(_ body: [UInt8]) -> [UInt8] {
        let crc = CRC32.checksum(body)
        return body + (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) }
    }

    /// Restores `device`; returns whether that succeeded.
    static func restore(_ device: FuzzStateDevice, from reader: inout StateReader) -> Bool {
        guard (try? device.saving.restoreState(from: &reader)) != nil else { return false }
        guard let transport = device.saving as? VirtioMMIODevice else { return true }
        transport.serveQueuesAfterRestore()
        var input = FuzzInput(readBack)
        VirtqueueFuzzTarget.drive(transport, &input)
        return true
    }

    /// Register accesses after a restore: InterruptStatus, Status, QueueNumMax and a
    /// notification of queue 0.
    static let readBack: [UInt8] = [0x0C, 13, 0x0C, 15, 0x0C, 9, 0x0D, 12, 0, 0, 0, 0]
}

/// One device that saves state, and its section name.
struct FuzzStateDevice {
    let name: String
    let saving: any StateSaving
}

/// A fresh set of every device that saves state.
func makeFuzzStateDevices() -> [FuzzStateDevice] {
    var devices: [FuzzStateDevice] = []
    let serial = SerialPort(output: NullSerialOutput())
    devices.append(FuzzStateDevice(name: serial.stateSectionName, saving: serial))
    let keyboard = KeyboardController()
    devices.append(FuzzStateDevice(name: keyboard.stateSectionName, saving: keyboard))
    let cmos = CMOSPort(memoryBelow4GiB: 32 << 20, memoryAbove4GiB: 0, cpuCount: 1,
                        clock: FixedWallClock(secondsSinceEpoch: 1_700_000_000))
    devices.append(FuzzStateDevice(name: cmos.stateSectionName, saving: cmos))
    if let memory = FuzzMemory.make(contents: VirtqueueFuzzTarget.ringImage()) {
        for (index, kind) in FuzzDeviceKind.allCases.enumerated() {
            guard let device = kind.make() else { continue }
            let transport = VirtioMMIODevice(device: device, memory: memory, interrupt: DisconnectedInterruptLine(),
                                             log: { _ in }, stateSectionName: "virtio.\(index)")
            devices.append(FuzzStateDevice(name: transport.stateSectionName, saving: transport))
        }
    }
    // The fixed ACPI hardware, last so that the seeds' device numbers above stay put.
    let acpi: [any StateSaving] = [PM1EventPort(sci: DisconnectedInterruptLine()), PM1ControlPort(softOffType: 5),
                                   PMTimerPort()]
    devices += acpi.map { FuzzStateDevice(name: $0.stateSectionName, saving: $0) }
    return devices
}
