import Memory

/// The transmit path: each chain's readable bytes are the header and one frame.
extension VirtioNet {
    func transmit(queue: inout Virtqueue, memory: GuestMemory) throws(VirtioError) {
        try state.withLock { (state: inout NetState) throws(VirtioError) in
            while let chain = try queue.pop() {
                send(chain, memory: memory, state: &state)
                try queue.addUsed(head: chain.head, length: 0)
            }
        }
    }

    /// Gathers one chain and hands its frame to the back end, or drops it.
    private func send(_ chain: DescriptorChain, memory: GuestMemory, state: inout NetState) {
        let length = chain.readableLength
        guard length >= UInt64(NetHeader.size), length <= UInt64(Self.maxTransmitChain) else {
            state.statistics.transmitDropped += 1
            let limit = length < UInt64(NetHeader.size)
                ? "fewer than the \(NetHeader.size)-byte virtio_net_hdr"
                : "more than \(Self.maxTransmitChain)"
            state.log.report("transmit chain \(chain.head) has \(length) readable bytes, \(limit); dropped")
            return
        }
        let buffer = transmitBuffer.slice(from: 0, count: Int(length))
        do {
            _ = try chain.readable.copy(into: buffer, from: memory)
        } catch {
            state.statistics.transmitDropped += 1
            state.log.report("transmit chain \(chain.head): \(error); dropped")
            return
        }
        let frame = UnsafeRawBufferPointer(rebasing: buffer[NetHeader.size...])
        switch backend.send(frame) {
        case .sent:
            state.statistics.framesSent += 1
            state.statistics.bytesSent += UInt64(frame.count)
        case .wouldBlock:
            state.statistics.transmitDropped += 1
        case .failed(let error):
            state.statistics.transmitDropped += 1
            state.statistics.transmitErrors += 1
            state.log.report("back end write of a \(frame.count)-byte frame failed: errno \(error); dropped")
        }
    }
}
