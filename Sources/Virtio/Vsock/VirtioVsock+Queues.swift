import Memory

/// The transmit and receive queues of virtio-vsock.
extension VirtioVsock {
    /// Every transmitted chain is one packet: a 44-byte header, then `len` bytes
    /// of payload for RW. Each is consumed (used length 0), whatever it holds.
    func transmit(queue: inout Virtqueue, memory: GuestMemory) throws(VirtioError) {
        while let chain = try queue.pop() {
            withTable { table in
                receive(chain, memory: memory, table: &table)
            }
            try queue.addUsed(head: chain.head, length: 0)
        }
    }

    private func receive(_ chain: DescriptorChain, memory: GuestMemory, table: inout VsockConnections) {
        let headerBytes = (try? chain.readable.gather(from: memory, limit: VsockHeader.size)) ?? []
        guard let header = VsockHeader(bytes: headerBytes) else {
            table.log.report("transmitted chain of \(chain.readableLength) readable bytes has no room for the "
                + "\(VsockHeader.size)-byte header; dropped")
            return
        }
        let available = chain.readableLength - UInt64(VsockHeader.size)
        if let rejection = table.check(header, payloadAvailable: available) {
            table.reject(header, rejection)
            return
        }
        var payload: [UInt8] = []
        if header.operation == .readWrite, header.length > 0 {
            let ranges = chain.readable.slice(from: UInt64(VsockHeader.size), length: UInt64(header.length))
            guard let bytes = try? ranges.gather(from: memory, limit: Int(header.length)) else { return }
            payload = bytes
        }
        table.handle(header, payload: payload, backend: backend)
    }

    /// Fills receive buffers with waiting packets, one packet per chain. A chain
    /// taken when no packet can go into it is given back to the ring.
    func deliver(queue: inout Virtqueue, memory: GuestMemory) throws(VirtioError) {
        while withTable({ $0.hasPendingPackets }), let chain = try queue.pop() {
            let writable = chain.writableLength
            guard writable >= UInt64(VsockHeader.size) else {
                withTable { $0.log.report("receive buffer of \(writable) bytes cannot hold a packet header; returned empty") }
                try queue.addUsed(head: chain.head, length: 0)
                continue
            }
            let room = Int(min(writable - UInt64(VsockHeader.size), UInt64(VsockConnections.maxPayload)))
            guard let packet = withTable({ $0.nextPacket(room: room) }) else {
                queue.undoPop()
                return
            }
            let bytes = packet.header.bytes + packet.payload
            let written = try chain.writable.scatter(bytes[...], into: memory)
            try queue.addUsed(head: chain.head, length: UInt32(written))
        }
    }
}
