import Memory
import Testing
@testable import Virtio

/// Interrupt and notification suppression: VIRTQ_AVAIL_F_NO_INTERRUPT and EVENT_IDX.
@Suite struct NotificationTests {
    @Test func needEventMatchesTheSpecFormula() {
        // Interrupt when used_event lies in [old, new).
        #expect(Virtqueue.needEvent(eventIndex: 0, new: 1, old: 0))
        #expect(!Virtqueue.needEvent(eventIndex: 1, new: 1, old: 0))
        #expect(Virtqueue.needEvent(eventIndex: 4, new: 6, old: 3))
        #expect(!Virtqueue.needEvent(eventIndex: 6, new: 6, old: 3))
        #expect(!Virtqueue.needEvent(eventIndex: 2, new: 6, old: 3))
        // Across the 16-bit wrap.
        #expect(Virtqueue.needEvent(eventIndex: 0xFFFF, new: 1, old: 0xFFFE))
        #expect(Virtqueue.needEvent(eventIndex: 0, new: 1, old: 0xFFFE))
        #expect(!Virtqueue.needEvent(eventIndex: 1, new: 1, old: 0xFFFE))
    }

    /// Completes one chain at head 0 and asks whether to interrupt.
    private func completeOne(_ driver: inout TestDriver, _ queue: inout Virtqueue) throws -> Bool {
        try driver.publish(0)
        let chain = try #require(try queue.pop())
        try queue.addUsed(head: chain.head, length: 1)
        return try queue.needsInterrupt()
    }

    @Test func noInterruptFlagSuppressesWithoutEventIndex() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: 0x10000, length: 1, flags: Descriptor.flagWrite)
        var queue = driver.queue()
        #expect(try !queue.needsInterrupt())  // nothing used yet
        #expect(try completeOne(&driver, &queue))
        #expect(try !queue.needsInterrupt())  // nothing new since
        try driver.setAvailFlags(Virtqueue.availNoInterrupt)
        #expect(try !completeOne(&driver, &queue))
    }

    @Test func usedEventSuppressesUntilReached() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: 0x10000, length: 1, flags: Descriptor.flagWrite)
        var queue = driver.queue(eventIndex: true)
        try driver.setAvailFlags(Virtqueue.availNoInterrupt)  // ignored with EVENT_IDX
        try driver.setUsedEvent(0)
        #expect(try completeOne(&driver, &queue))  // first decision always interrupts
        try driver.setUsedEvent(2)  // "interrupt me when entry 2 is used"
        #expect(try !completeOne(&driver, &queue))  // used idx 2: entry 1 done
        #expect(try completeOne(&driver, &queue))   // used idx 3: entry 2 done
        #expect(try !completeOne(&driver, &queue))  // entry 3: past used_event
    }

    @Test func emptyRingPublishesAvailEvent() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: 0x10000, length: 1, flags: Descriptor.flagWrite)
        var queue = driver.queue(eventIndex: true)
        try driver.publish(0)
        try driver.publish(0)
        #expect(try queue.pop() != nil)
        #expect(try queue.pop() != nil)
        #expect(try queue.pop() == nil)
        #expect(try driver.availEvent() == 2)
    }

    @Test func availEventIsLeftAloneWithoutEventIndex() throws {
        var driver = try TestDriver()
        try driver.setDescriptor(0, address: 0x10000, length: 1, flags: Descriptor.flagWrite)
        var queue = driver.queue()
        try driver.publish(0)
        _ = try queue.pop()
        #expect(try queue.pop() == nil)
        #expect(try driver.availEvent() == 0)
    }
}
