import Memory
import Testing
@testable import Virtio

@Suite struct VirtqueueTests {
    @Test func popsAChainOfReadableThenWritableBuffers() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: 0x10000, length: 16, flags: Descriptor.flagNext, next: 1)
        try driver.setDescriptor(1, address: 0x11000, length: 512, flags: Descriptor.flagNext | Descriptor.flagWrite, next: 2)
        try driver.setDescriptor(2, address: 0x12000, length: 1, flags: Descriptor.flagWrite)
        try driver.publish(0)
        var queue = driver.queue()
        let chain = try #require(try queue.pop())
        #expect(chain.head == 0)
        #expect(chain.readable == [GuestRange(start: GuestAddress(0x10000), size: 16)])
        #expect(chain.writable == [
            GuestRange(start: GuestAddress(0x11000), size: 512), GuestRange(start: GuestAddress(0x12000), size: 1),
        ])
        #expect(chain.writableLength == 513)
        #expect(try queue.pop() == nil)
    }
}
