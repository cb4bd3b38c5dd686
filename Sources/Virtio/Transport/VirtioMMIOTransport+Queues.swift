/// Serving queues: after a notification (QueueNotify or an ioeventfd) or a
/// device's own wake-up, then any queue the device asks to follow
/// (`followUpQueues(after:)`, one round).
extension VirtioMMIOTransport {
    /// Serves queue `index` if the device is live and the queue ready. A
    /// notification through the register (`fromRegister`) for a queue that cannot
    /// be served is a driver error and is logged; an ioeventfd firing is not.
    public mutating func processQueue(_ index: Int, fromRegister: Bool) {
        guard queues.indices.contains(index) else {
            if fromRegister { log.report("QueueNotify for queue \(index), which does not exist; ignored") }
            return
        }
        guard status & DeviceStatus.driverOK != 0, queues[index].ready else {
            if fromRegister { log.report("QueueNotify for queue \(index) before it is ready or DRIVER_OK; ignored") }
            return
        }
        serve(index)
        for next in device.followUpQueues(after: index) where next != index && queues.indices.contains(next) {
            guard queues[next].ready else { continue }
            serve(next)
        }
    }

    /// Has the device process ready queue `index`, unless the device needs a reset.
    private mutating func serve(_ index: Int) {
        guard status & (DeviceStatus.needsReset | DeviceStatus.failed) == 0 else { return }
        let device = self.device
        let memory = self.memory
        do {
            if !validated[index] {
                try queues[index].validate()
                validated[index] = true
            }
            if try device.process(queue: &queues[index], index: index, memory: memory) {
                raiseInterrupt(VirtioMMIORegister.interruptUsedBuffer)
            }
        } catch {
            fail("queue \(index): \(error)")
        }
    }
}
