import Memory

/// The receive path: back end -> receive buffer -> the driver's next chain.
extension VirtioNet {
    func receive(queue: inout Virtqueue, memory: GuestMemory) throws(VirtioError) {
        try state.withLock { (state: inout NetState) throws(VirtioError) in
            try receive(queue: &queue, memory: memory, state: &state)
        }
    }

    /// Delivers frames while the back end has them and the driver has buffers.
    /// Stops with the frame pending when the ring is empty (the driver's next
    /// notification resumes it), or when the back end has nothing more.
    private func receive(queue: inout Virtqueue, memory: GuestMemory, state: inout NetState) throws(VirtioError) {
        while true {
            if state.pendingLength == nil {
                guard let length = readFrame(&state) else { return }
                state.pendingLength = length
            }
            let length = state.pendingLength ?? 0
            let chain: DescriptorChain
            if let held = state.heldChain {
                chain = held
                state.heldChain = nil
            } else if let next = try queue.pop() {
                chain = next
            } else {
                return
            }
            let total = NetHeader.size + length
            guard chain.writableLength >= UInt64(total) else {
                // The guest's buffer is too small for this frame: drop the frame,
                // keep the buffer for the next one.
                state.pendingLength = nil
                state.heldChain = chain
                state.statistics.receiveDropped += 1
                state.log.report("received frame of \(length) bytes does not fit the \(chain.writableLength)-byte "
                    + "buffer of chain \(chain.head) (\(NetHeader.size)-byte header included); frame dropped")
                continue
            }
            try chain.writable.copy(from: UnsafeRawBufferPointer(receiveBuffer.slice(from: 0, count: total)),
                                    into: memory)
            state.pendingLength = nil
            try queue.addUsed(head: chain.head, length: UInt32(total))
            state.statistics.framesReceived += 1
            state.statistics.bytesReceived += UInt64(length)
        }
    }

    /// Reads the next frame the device accepts into the receive buffer (after
    /// the header); nil when the back end has none or fails.
    private func readFrame(_ state: inout NetState) -> Int? {
        let area = receiveBuffer.slice(from: NetHeader.size, count: Self.maxFrameSize + 1)
        while true {
            switch backend.receive(into: area) {
            case .frame(let length) where length > Self.maxFrameSize:
                state.statistics.receiveDropped += 1
            case .frame(let length):
                return max(length, 0)
            case .wouldBlock:
                return nil
            case .failed(let error):
                state.statistics.receiveErrors += 1
                state.log.report("back end read failed: errno \(error)")
                return nil
            }
        }
    }
}
