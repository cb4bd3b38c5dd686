/// Every connection of one vsock device, and the packets owed to the guest.
///
/// Pure state: the host side is reached only through `VsockHostStream` and
/// `VsockBackend`, so every rule here is unit-tested with fakes. Guest mistakes
/// are answered with RST or dropped, with one line each in a rate-limited log.
struct VsockConnections {
    /// The host's CID: the only destination a guest can reach.
    static let hostCID: UInt64 = 2
    /// Open connections at most by default (each holds up to `VsockConnection.bufferSize`).
    static let defaultMaxConnections = 128
    /// Standalone RST packets held for the guest at most.
    static let maxPendingResets = 256
    /// Largest payload accepted from the guest or sent to it in one packet.
    static let maxPayload = 64 * 1024
    /// Ticks a connection waits for the guest's RESPONSE, or for the host to take
    /// the last bytes of a guest that shut down, before it is reset.
    static let timeoutTicks: UInt64 = 3
    /// Host ports for host-initiated connections are taken from here upwards.
    static let firstLocalPort: UInt32 = 1 << 30

    let guestCID: UInt64
    private(set) var connections: [VsockConnectionKey: VsockConnection] = [:]
    private var tokens: [UInt64: VsockConnectionKey] = [:]
    /// RST packets not tied to a live connection.
    private var resets: [VsockHeader] = []
    /// Connections that may have a packet for the guest, served in turn.
    private var ready: [VsockConnectionKey] = []
    private var readySet: Set<VsockConnectionKey> = []
    private var scratch = [UInt8](repeating: 0, count: maxPayload)
    private var nextLocalPort = firstLocalPort
    private(set) var now: UInt64 = 0
    var log: HostileEventLog
    /// The driver set DRIVER_OK (host connections are refused before).
    var active = false

    /// Open connections at most (`--limit vsock-connections`).
    let maxConnections: Int

    init(guestCID: UInt64, log: HostileEventLog, maxConnections: Int = defaultMaxConnections) {
        self.guestCID = guestCID
        self.log = log
        self.maxConnections = max(1, maxConnections)
    }

    /// Whether a packet is waiting for a receive buffer.
    var hasPendingPackets: Bool { !resets.isEmpty || !ready.isEmpty }

    // MARK: packets from the guest

    /// Why a packet from the guest is refused, and whether it is answered with RST.
    struct Rejection: Equatable {
        var reason: String
        var reset: Bool
    }

    /// Checks a transmitted packet whose chain holds `payloadAvailable` bytes after the header.
    func check(_ header: VsockHeader, payloadAvailable: UInt64) -> Rejection? {
        guard header.sourceCID == guestCID else {
            return Rejection(reason: "packet from CID \(header.sourceCID) dropped: the guest is CID \(guestCID)",
                             reset: false)
        }
        guard header.destinationCID == Self.hostCID else {
            return Rejection(reason: "packet to CID \(header.destinationCID) refused: only the host (CID 2) "
                + "is reachable", reset: true)
        }
        guard header.type == VsockHeader.typeStream else {
            return Rejection(reason: "packet of type \(header.type) refused: only stream sockets (type 1) "
                + "are supported", reset: true)
        }
        guard let operation = header.operation else {
            return Rejection(reason: "packet with unknown op \(header.op) refused", reset: true)
        }
        guard header.length <= Self.maxPayload else {
            return Rejection(reason: "\(operation) with length \(header.length) refused: the limit is "
                + "\(Self.maxPayload) bytes", reset: true)
        }
        guard UInt64(header.length) <= payloadAvailable else {
            return Rejection(reason: "\(operation) with length \(header.length) refused: its buffers hold "
                + "\(payloadAvailable) bytes after the header", reset: true)
        }
        return nil
    }

    /// Logs a refused packet, answers it with RST if asked (never an RST with an
    /// RST) and ends the connection it names, if any.
    mutating func reject(_ header: VsockHeader, _ rejection: Rejection) {
        log.report(rejection.reason + " (\(describe(header)))")
        guard rejection.reset, header.operation != .reset else { return }
        let key = VsockConnectionKey(guestPort: header.sourcePort, hostPort: header.destinationPort)
        if header.sourceCID == guestCID, header.destinationCID == Self.hostCID, let connection = connections[key] {
            forget(connection)
        }
        queueReset(answering: header)
    }

    /// A checked packet from the guest; `payload` holds its RW data.
    mutating func handle(_ header: VsockHeader, payload: [UInt8], backend: any VsockBackend) {
        guard let operation = header.operation else { return }
        let key = VsockConnectionKey(guestPort: header.sourcePort, hostPort: header.destinationPort)
        // Taken out while it changes, so its buffer is not copied on write.
        guard var connection = connections.removeValue(forKey: key) else {
            switch operation {
            case .request: open(key, header: header, backend: backend)
            case .reset: break  // nothing to reset; never answer an RST
            default:
                log.report("\(operation) for no open connection (\(key)); answered with RST")
                queueReset(answering: header)
            }
            return
        }
        connection.updatePeerCredit(bufferAllocation: header.bufferAllocation, forwardCount: header.forwardCount)
        let verdict = connection.handle(operation, flags: header.flags, payload: payload)
        if connection.phase == .draining && connection.deadline == nil {
            connection.deadline = now + Self.timeoutTicks
        }
        apply(verdict, to: connection)
    }

    /// A guest REQUEST: connect to the host port, answer RESPONSE or RST.
    private mutating func open(_ key: VsockConnectionKey, header: VsockHeader, backend: any VsockBackend) {
        guard connections.count < maxConnections else {
            log.report("connection from \(key) refused: \(maxConnections) connections are open (the vsock-connections limit)")
            queueReset(answering: header)
            return
        }
        let stream: any VsockHostStream
        do {
            stream = try backend.connect(toHostPort: key.hostPort)
        } catch {
            log.report("connection from guest port \(key.guestPort) to host port \(key.hostPort) refused: \(error)")
            queueReset(answering: header)
            return
        }
        var connection = VsockConnection(key: key, stream: stream, phase: .established)
        connection.updatePeerCredit(bufferAllocation: header.bufferAllocation, forwardCount: header.forwardCount)
        connection.replies.insert(.response)
        tokens[stream.token] = key
        apply(.keep, to: connection)
    }

    // MARK: the host side

    /// A host client asked for guest port `port`: REQUEST it from a fresh host
    /// port. Returns that port, or nil (the caller closes `stream`) when the
    /// driver is not ready or no connection is free. `greeting` gives the bytes
    /// the host stream gets first once the guest accepts.
    mutating func connect(toGuestPort port: UInt32, stream: any VsockHostStream,
                          greeting: (UInt32) -> [UInt8]) -> UInt32? {
        guard active, connections.count < maxConnections else { return nil }
        var hostPort = nextLocalPort
        while connections[VsockConnectionKey(guestPort: port, hostPort: hostPort)] != nil {
            hostPort = Self.followingLocalPort(hostPort)
        }
        nextLocalPort = Self.followingLocalPort(hostPort)
        let key = VsockConnectionKey(guestPort: port, hostPort: hostPort)
        var connection = VsockConnection(key: key, stream: stream, phase: .requesting)
        connection.toHost = greeting(hostPort)
        connection.greetingCount = connection.toHost.count
        connection.deadline = now + Self.timeoutTicks
        connection.replies.insert(.request)
        tokens[stream.token] = key
        apply(.keep, to: connection)
        return hostPort
    }

    /// Host ports for host-initiated connections cycle through [2^30, 2^31).
    private static func followingLocalPort(_ port: UInt32) -> UInt32 {
        port + 1 < 1 << 31 ? port + 1 : firstLocalPort
    }

    /// The stream `token` may have become readable or writable.
    mutating func hostReady(token: UInt64) {
        guard let key = tokens[token], var connection = connections.removeValue(forKey: key) else { return }
        connection.hostReadable = true
        let verdict = connection.flush()
        apply(verdict, to: connection)
    }

    /// One tick of the clock: connections waiting past their deadline are reset.
    mutating func tick() {
        now += 1
        for connection in connections.values {
            guard let deadline = connection.deadline, deadline <= now else { continue }
            let reason = connection.phase == .requesting
                ? "no RESPONSE from the guest in time" : "the host did not take the guest's last bytes in time"
            apply(.reset(reason), to: connection)
        }
    }

    /// Whether a connection waits on a deadline (the owner then keeps ticking).
    var hasDeadlines: Bool { connections.values.contains { $0.deadline != nil } }

    /// Closes every stream and forgets every packet (device reset, VM end).
    mutating func closeAll() {
        for connection in connections.values { connection.stream.close() }
        connections = [:]
        tokens = [:]
        resets = []
        ready = []
        readySet = []
    }

    // MARK: packets for the guest

    /// The next packet for a receive buffer with `room` bytes after the header.
    mutating func nextPacket(room: Int) -> (header: VsockHeader, payload: [UInt8])? {
        if !resets.isEmpty { return (resets.removeFirst(), []) }
        var turns = ready.count
        while turns > 0, !ready.isEmpty {
            turns -= 1
            let key = ready.removeFirst()
            readySet.remove(key)
            guard var connection = connections.removeValue(forKey: key) else { continue }
            let outgoing = scratch.withUnsafeMutableBytes { connection.nextOutgoing(room: room, scratch: $0) }
            switch outgoing {
            case .idle:
                apply(.keep, to: connection)
            case .control(let operation, let flags):
                let header = stamp(&connection, operation: operation, flags: flags, length: 0)
                apply(.keep, to: connection)
                return (header, [])
            case .data(let count):
                let header = stamp(&connection, operation: .readWrite, flags: 0, length: count)
                apply(.keep, to: connection)
                return (header, Array(scratch[0..<count]))
            case .reset(let reason):
                apply(.reset(reason), to: connection)
                if !resets.isEmpty { return (resets.removeFirst(), []) }
            }
        }
        return nil
    }

    /// A header from the host for `connection`, telling the guest our credit.
    private func stamp(_ connection: inout VsockConnection, operation: VsockOperation, flags: UInt32,
                       length: Int) -> VsockHeader {
        connection.advertisedForwarded = connection.forwarded
        return VsockHeader(
            sourceCID: Self.hostCID, destinationCID: guestCID, sourcePort: connection.key.hostPort,
            destinationPort: connection.key.guestPort, length: UInt32(length), operation: operation, flags: flags,
            bufferAllocation: VsockConnection.bufferSize, forwardCount: connection.forwarded)
    }

    // MARK: bookkeeping

    /// Stores `connection` back, or ends it as `verdict` says.
    private mutating func apply(_ verdict: VsockConnection.Verdict, to connection: VsockConnection) {
        switch verdict {
        case .keep:
            connections[connection.key] = connection
            if connection.wantsToSend, !readySet.contains(connection.key) {
                ready.append(connection.key)
                readySet.insert(connection.key)
            }
        case .reset(let reason):
            if let reason { log.report("\(connection.key): \(reason); sent RST") }
            forget(connection)
            queueReset(VsockHeader(
                sourceCID: Self.hostCID, destinationCID: guestCID, sourcePort: connection.key.hostPort,
                destinationPort: connection.key.guestPort, operation: .reset,
                bufferAllocation: VsockConnection.bufferSize, forwardCount: connection.forwarded))
        case .remove:
            forget(connection)
        }
    }

    private mutating func forget(_ connection: VsockConnection) {
        connection.stream.close()
        connections[connection.key] = nil
        tokens[connection.stream.token] = nil
    }

    /// An RST in answer to `header`, from where it was sent to where it came from.
    private mutating func queueReset(answering header: VsockHeader) {
        queueReset(VsockHeader(
            sourceCID: header.destinationCID, destinationCID: header.sourceCID, sourcePort: header.destinationPort,
            destinationPort: header.sourcePort, operation: .reset))
    }

    private mutating func queueReset(_ header: VsockHeader) {
        guard resets.count < Self.maxPendingResets else {
            log.report("RST to guest port \(header.destinationPort) dropped: \(Self.maxPendingResets) are "
                + "already waiting for receive buffers")
            return
        }
        resets.append(header)
    }

    private func describe(_ header: VsockHeader) -> String {
        let operation = header.operation.map { "\($0)" } ?? "op \(header.op)"
        return "\(operation) \(header.sourceCID):\(header.sourcePort) -> \(header.destinationCID):"
            + "\(header.destinationPort), length \(header.length)"
    }
}
