import Foundation
import Memory
import Virtio

/// A temporary raw image and a queue to send virtio-blk requests through.
struct BlockFixture {
    static let header = GuestAddress(0x10000)
    static let status = GuestAddress(0x11000)
    static let dataOut = GuestAddress(0x20000)
    static let dataIn = GuestAddress(0x40000)

    let path: String
    var ring: TestDriver
    var queue: Virtqueue

    /// An image of `sectors` sectors whose byte i is `UInt8(i % 251)`.
    init(sectors: Int = 64, extraBytes: Int = 0) throws {
        path = NSTemporaryDirectory() + "virtio-blk-\(UUID().uuidString).img"
        let bytes = (0..<(sectors * 512 + extraBytes)).map { UInt8($0 % 251) }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        ring = try TestDriver(size: 16)
        queue = ring.queue()
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    var fileBytes: [UInt8] { (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? [] }

    struct Result {
        var status: UInt8
        var used: UInt32
        var dataIn: [UInt8]
    }

    /// Sends one request: header, `out` bytes (device-readable), `inLength`
    /// device-writable bytes, then the status byte.
    mutating func submit(
        _ device: VirtioBlock, type: UInt32, sector: UInt64, out: [UInt8] = [], inLength: UInt32 = 0
    ) throws -> Result {
        var header = [UInt8](repeating: 0, count: 16)
        for i in 0..<4 { header[i] = UInt8(truncatingIfNeeded: type >> (8 * UInt32(i))) }
        for i in 0..<8 { header[8 + i] = UInt8(truncatingIfNeeded: sector >> (8 * UInt64(i))) }
        try ring.memory.write(header, at: Self.header)
        try ring.memory.write([0xFF], at: Self.status)
        try ring.memory.write([UInt8](repeating: 0xEE, count: Int(inLength)), at: Self.dataIn)
        try ring.memory.write(out, at: Self.dataOut)
        var buffers: [(GuestAddress, UInt32, UInt16)] = [(Self.header, 16, 0)]
        if !out.isEmpty { buffers.append((Self.dataOut, UInt32(out.count), 0)) }
        if inLength > 0 { buffers.append((Self.dataIn, inLength, Descriptor.flagWrite)) }
        buffers.append((Self.status, 1, Descriptor.flagWrite))
        for (index, buffer) in buffers.enumerated() {
            let last = index == buffers.count - 1
            try ring.setDescriptor(
                UInt16(index), address: buffer.0.rawValue, length: buffer.1,
                flags: buffer.2 | (last ? 0 : Descriptor.flagNext), next: UInt16(index + 1))
        }
        try ring.publish(0)
        _ = try device.process(queue: &queue, index: 0, memory: ring.memory)
        let used = try ring.usedEntry(ring.availIndex - 1)
        return Result(
            status: try ring.memory.read(at: Self.status, count: 1)[0], used: used.length,
            dataIn: try ring.memory.read(at: Self.dataIn, count: Int(inLength)))
    }
}
