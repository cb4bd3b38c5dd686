import Memory
import Testing
@testable import Virtio

@Suite struct RNGTests {
    @Test func fillsEveryWritableBuffer() throws {
        var ring = try TestDriver()
        try ring.setDescriptor(0, address: 0x10000, length: 32, flags: Descriptor.flagWrite | Descriptor.flagNext, next: 1)
        try ring.setDescriptor(1, address: 0x20000, length: 32, flags: Descriptor.flagWrite)
        try ring.publish(0)
        var queue = ring.queue()
        let rng = VirtioRNG()
        #expect(try rng.process(queue: &queue, index: 0, memory: ring.memory))
        #expect(try ring.usedEntry(0) == (0, 64))
        // 32 zero bytes from getrandom: probability 2^-256.
        #expect(try ring.memory.read(at: GuestAddress(0x10000), count: 32).contains { $0 != 0 })
        #expect(try ring.memory.read(at: GuestAddress(0x20000), count: 32).contains { $0 != 0 })
    }

    @Test func oneRequestIsBounded() throws {
        var ring = try TestDriver()
        let length = UInt32(VirtioRNG.maxBytesPerRequest) * 2
        try ring.memory.write([UInt8](repeating: 0xAA, count: Int(length)), at: GuestAddress(0x100000))
        try ring.setDescriptor(0, address: 0x100000, length: length, flags: Descriptor.flagWrite)
        try ring.publish(0)
        var queue = ring.queue()
        _ = try VirtioRNG().process(queue: &queue, index: 0, memory: ring.memory)
        #expect(try ring.usedEntry(0) == (0, UInt32(VirtioRNG.maxBytesPerRequest)))
        let tail = try ring.memory.read(
            at: GuestAddress(0x100000 + VirtioRNG.maxBytesPerRequest), count: Int(VirtioRNG.maxBytesPerRequest))
        #expect(tail.allSatisfy { $0 == 0xAA })
    }

    @Test func readableBuffersGetNothing() throws {
        var ring = try TestDriver()
        try ring.memory.write([UInt8](repeating: 0, count: 16), at: GuestAddress(0x10000))
        try ring.setDescriptor(0, address: 0x10000, length: 16)
        try ring.publish(0)
        var queue = ring.queue()
        _ = try VirtioRNG().process(queue: &queue, index: 0, memory: ring.memory)
        #expect(try ring.usedEntry(0) == (0, 0))
        #expect(try ring.memory.read(at: GuestAddress(0x10000), count: 16).allSatisfy { $0 == 0 })
    }
}
