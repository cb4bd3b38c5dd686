import Virtio

extension VirtqueueFuzzTarget {
    /// Seeds: a 16-entry queue with two published chains (a three-buffer chain shaped
    /// like a virtio-blk read, and an indirect one), used directly and through each
    /// device's transport after the driver's initialisation sequence.
    static func seeds() -> [(name: String, bytes: [UInt8])] {
        var result: [(name: String, bytes: [UInt8])] = []
        let ram = ringImage()
        var direct: [UInt8] = [0, 4, 3]
        for address: UInt16 in [0x1000, 0x3000, 0x4000] { append(address, to: &direct) }
        result.append(("queue-two-chains", direct + ram))
        for kind in FuzzDeviceKind.allCases {
            var bytes: [UInt8] = [1, kind.rawValue]
            append(UInt16(ram.count), to: &bytes)
            bytes += ram
            bytes += driverInitialisation(queues: kind == .rng || kind == .block ? 1 : 2)
            result.append(("transport-\(kind)", bytes))
        }
        return result
    }

    /// Guest RAM from address 0: descriptor table at 0x1000, an indirect table at
    /// 0x2000, avail ring at 0x3000 (used ring at 0x4000 stays zero).
    static func ringImage() -> [UInt8] {
        var ram = [UInt8](repeating: 0, count: 0x3010)
        func descriptor(_ table: Int, _ index: Int, _ address: UInt64, _ length: UInt32, _ flags: UInt16,
                        _ next: UInt16) {
            var at = table + 16 * index
            for shift in stride(from: 0, to: 64, by: 8) { ram[at] = UInt8(truncatingIfNeeded: address >> UInt64(shift)); at += 1 }
            for shift in stride(from: 0, to: 32, by: 8) { ram[at] = UInt8(truncatingIfNeeded: length >> UInt32(shift)); at += 1 }
            ram[at] = UInt8(flags & 0xFF); ram[at + 1] = UInt8(flags >> 8)
            ram[at + 2] = UInt8(next & 0xFF); ram[at + 3] = UInt8(next >> 8)
        }
        let next = Descriptor.flagNext, write = Descriptor.flagWrite
        descriptor(0x1000, 0, 0x6000, 16, next, 1)
        descriptor(0x1000, 1, 0x6100, 512, write | next, 2)
        descriptor(0x1000, 2, 0x7000, 1, write, 0)
        descriptor(0x1000, 3, 0x2000, 32, Descriptor.flagIndirect, 0)
        descriptor(0x2000, 0, 0x6200, 64, next, 1)
        descriptor(0x2000, 1, 0x6300, 64, write, 0)
        // avail: flags 0, idx 2, ring [0, 3]
        ram[0x3002] = 2
        ram[0x3004] = 0
        ram[0x3006] = 3
        return ram
    }

    /// Register writes of a driver bringing the device up (virtio 1.2 section 3.1)
    /// with `queues` queues on the rings of `ringImage`, then a notification.
    static func driverInitialisation(queues: Int) -> [UInt8] {
        typealias R = VirtioMMIORegister
        var ops: [UInt8] = []
        func write(_ offset: UInt64, _ value: UInt32) {
            ops.append(0x05)
            append(UInt16(offset), to: &ops)
            for shift in stride(from: 0, to: 32, by: 8) { ops.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        }
        func read(_ offset: UInt64) {
            ops.append(0x04)
            append(UInt16(offset), to: &ops)
        }
        read(R.magicValue)
        write(R.status, 0)
        write(R.status, 1)
        write(R.status, 3)
        write(R.driverFeaturesSelect, 1)
        write(R.driverFeatures, 1)
        write(R.driverFeaturesSelect, 0)
        write(R.driverFeatures, 3 << 28)
        write(R.status, 0xB)
        for queue in 0..<UInt32(queues) {
            write(R.queueSelect, queue)
            read(R.queueNumMax)
            write(R.queueNum, 16)
            write(R.queueDescLow, 0x1000)
            write(R.queueDriverLow, 0x3000)
            write(R.queueDeviceLow, 0x4000 + 0x200 * queue)
            write(R.queueReady, 1)
        }
        write(R.status, 0xF)
        for queue in 0..<UInt32(queues) { write(R.queueNotify, queue) }
        read(R.interruptStatus)
        write(R.interruptACK, 1)
        read(R.config)
        return ops
    }

    static func append(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value & 0xFF))
        bytes.append(UInt8(value >> 8))
    }
}
