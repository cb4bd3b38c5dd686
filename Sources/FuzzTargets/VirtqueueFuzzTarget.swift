import Devices
import Memory
import Virtio

/// Fuzzes split virtqueues against guest memory built from the input.
///
/// The first byte picks a mode:
/// - even: a `Virtqueue` used directly. Then: queue size (log2, byte), flags (byte:
///   bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 undo some pops), the descriptor
///   table, driver area and device area (UInt16 each), and the rest is guest RAM
///   (from address 0). The queue is validated as the transport would, then chains
///   are popped, gathered, scattered and returned to the used ring.
/// - odd: a virtio-mmio transport over a device picked by the next byte. Then the
///   length of the guest RAM image (UInt16), that image, and register accesses to
///   the end: op (byte: bit 0 write, bits 1-2 width 1/2/4/8, bit 3 a known
///   register instead of a raw offset), offset (UInt16, or a byte indexing the
///   known registers), value (UInt32, writes only).
public enum VirtqueueFuzzTarget {
    /// Chains popped at most per input.
    static let mostPops = 64
    /// Register accesses made at most per input.
    static let mostAccesses = 512

    /// Returns the chains served (direct mode) or the used entries the devices
    /// added (transport mode).
    @discardableResult
    public static func run(_ data: [UInt8]) -> Int {
        var input = FuzzInput(data)
        if input.byte() & 1 == 0 {
            return runQueue(&input)
        } else {
            return runTransport(&input)
        }
    }

    static func runQueue(_ input: inout FuzzInput) -> Int {
        let size = UInt16(1) << (input.byte() & 15)
        let flags = input.byte()
        let table = input.integer(UInt16.self)
        let driver = input.integer(UInt16.self)
        let device = input.integer(UInt16.self)
        guard let memory = FuzzMemory.make(contents: input.rest()) else { return 0 }
        var queue = Virtqueue(maxSize: 256, memory: memory)
        queue.size = size
        queue.descriptorTable = GuestAddress(UInt64(table))
        queue.driverArea = GuestAddress(UInt64(driver))
        queue.deviceArea = GuestAddress(UInt64(device))
        queue.eventIndex = flags & 1 != 0
        queue.indirectDescriptors = flags & 2 != 0
        guard (try? queue.validate()) != nil else { return 0 }
        queue.ready = true
        var undone = false
        var served = 0
        for _ in 0..<mostPops {
            let chain: DescriptorChain?
            do {
                chain = try queue.pop()
            } catch {
                break
            }
            guard let chain else { break }
            if flags & 4 != 0, !undone {
                undone = true
                queue.undoPop()
                continue
            }
            serve(chain, memory: memory)
            guard (try? queue.addUsed(head: chain.head, length: UInt32(truncatingIfNeeded: chain.writableLength)))
                != nil
            else { break }
            served += 1
            _ = try? queue.needsInterrupt()
        }
        return served
    }

    /// Reads and writes the chain's buffers the ways devices do.
    static func serve(_ chain: DescriptorChain, memory: GuestMemory) {
        _ = chain.readableLength
        let request = (try? chain.readable.gather(from: memory, limit: 4096)) ?? []
        _ = chain.readable.slice(from: 3, length: 100)
        chain.writable.forEachPiece(from: 1, length: 1000) { _ in true }
        var scratch = [UInt8](repeating: 0, count: 256)
        scratch.withUnsafeMutableBytes { buffer in
            _ = try? chain.readable.copy(into: buffer, from: memory)
        }
        scratch.withUnsafeBytes { bytes in
            _ = try? chain.writable.copy(from: bytes, into: memory)
        }
        _ = try? chain.writable.scatter(request[...], into: memory)
    }

    static let knownRegisters: [UInt64] = {
        typealias R = VirtioMMIORegister
        return [
            R.magicValue, R.version, R.deviceID, R.vendorID, R.deviceFeatures, R.deviceFeaturesSelect,
            R.driverFeatures, R.driverFeaturesSelect, R.queueSelect, R.queueNumMax, R.queueNum, R.queueReady,
            R.queueNotify, R.interruptStatus, R.interruptACK, R.status, R.queueDescLow, R.queueDescHigh,
            R.queueDriverLow, R.queueDriverHigh, R.queueDeviceLow, R.queueDeviceHigh, R.sharedMemorySelect,
            R.sharedMemoryLengthLow, R.sharedMemoryBaseLow, R.configGeneration, R.config, R.config + 4,
            R.config + 8,
        ]
    }()

    /// Makes the register accesses `input` encodes (to its end, or `mostAccesses`).
    static func drive(_ transport: VirtioMMIODevice, _ input: inout FuzzInput) {
        var accesses = 0
        while !input.isAtEnd, accesses < mostAccesses {
            accesses += 1
            let op = input.byte()
            let width = 1 << Int((op >> 1) & 3)
            let offset: UInt64
            if op & 8 != 0 {
                offset = knownRegisters[Int(input.byte()) % knownRegisters.count]
            } else {
                offset = UInt64(input.integer(UInt16.self)) % VirtioMMIODevice.windowSize
            }
            if op & 1 == 0 {
                var bytes = [UInt8](repeating: 0, count: width)
                bytes.withUnsafeMutableBytes { transport.read(offset: offset, data: $0) }
            } else {
                let value = UInt64(input.integer(UInt32.self))
                let bytes = (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
                _ = bytes.withUnsafeBytes { transport.write(offset: offset, data: $0) }
            }
            if op & 0xF0 == 0xF0 { transport.processQueue(Int(op & 3) % transport.queueCount) }
        }
    }

    static func runTransport(_ input: inout FuzzInput) -> Int {
        let kind = FuzzDeviceKind(selector: input.byte())
        let imageLength = Int(input.integer(UInt16.self))
        guard let memory = FuzzMemory.make(contents: input.bytes(upTo: imageLength)),
            let device = kind.make()
        else { return 0 }
        let transport = VirtioMMIODevice(
            device: device, memory: memory, interrupt: DisconnectedInterruptLine(), log: { _ in })
        drive(transport, &input)
        return transport.queueStates.reduce(0) { $0 + Int($1.nextUsed) }
    }
}
