/// One stream connection between a guest port and a host stream: its phase, the
/// credit in both directions, the guest bytes the host has not taken yet, and the
/// control packets owed to the guest.
///
/// Credit (virtio 1.2 section 5.10.6.3): the guest may have at most
/// `bufferSize - (received - forwarded)` bytes in flight to us, and we send it at
/// most `peerBufferSize - (sent - peerForwarded)`. Counters wrap at 2^32.
struct VsockConnection {
    /// The receive buffer advertised to the guest: guest bytes held at most while
    /// the host stream does not take them.
    static let bufferSize: UInt32 = 64 * 1024
    /// A CREDIT_UPDATE is sent unasked once this many more bytes were forwarded
    /// than the guest was last told.
    static let creditUpdateThreshold: UInt32 = bufferSize / 2

    enum Phase: Equatable {
        /// The host initiated: REQUEST owed or sent, waiting for the guest's RESPONSE.
        case requesting
        case established
        /// The guest shut down both directions: its last bytes go to the host,
        /// then the stream is closed and the guest gets RST.
        case draining
    }

    /// Control packets owed to the guest.
    struct Replies: OptionSet {
        let rawValue: UInt8
        static let request = Replies(rawValue: 1)
        static let response = Replies(rawValue: 2)
        static let creditUpdate = Replies(rawValue: 4)
        static let creditRequest = Replies(rawValue: 8)
    }

    /// What the owner must do with the connection after a step.
    enum Verdict: Equatable {
        case keep
        /// Close the stream, forget the connection and send the guest RST; log
        /// the reason when there is one.
        case reset(String?)
        /// Close the stream and forget the connection (the guest sent RST).
        case remove
    }

    /// The next packet for the guest.
    enum Outgoing: Equatable {
        case idle
        case control(VsockOperation, flags: UInt32)
        /// RW with this many payload bytes, read into the scratch buffer.
        case data(Int)
        case reset(String?)
    }

    let key: VsockConnectionKey
    let stream: any VsockHostStream
    var phase: Phase
    /// The tick at which a waiting phase gives up.
    var deadline: UInt64?
    var replies: Replies = []

    // Host to guest.
    var peerBufferSize: UInt32 = 0
    var peerForwarded: UInt32 = 0
    var sent: UInt32 = 0
    /// The stream may have bytes to read (cleared when a read would block).
    var hostReadable = true
    /// The stream reached end of file.
    var hostEnded = false
    /// A CREDIT_REQUEST went out since the guest's credit last changed.
    var creditRequested = false
    /// The guest said it will receive no more.
    var guestStoppedReceiving = false

    // Guest to host.
    var received: UInt32 = 0
    var forwarded: UInt32 = 0
    var advertisedForwarded: UInt32 = 0
    /// Bytes for the host stream: `greetingCount` bytes of our own, then guest data.
    var toHost: [UInt8] = []
    var greetingCount = 0
    /// The guest said it will send no more.
    var guestStoppedSending = false
    var hostWriteShut = false

    init(key: VsockConnectionKey, stream: any VsockHostStream, phase: Phase) {
        self.key = key
        self.stream = stream
        self.phase = phase
    }

    /// Bytes we may still send the guest; 0 when its counters make no sense.
    var peerCredit: UInt32 {
        let inFlight = sent &- peerForwarded
        return inFlight <= peerBufferSize ? peerBufferSize - inFlight : 0
    }

    /// Guest bytes held for the host.
    var buffered: Int { toHost.count - greetingCount }

    /// Whether host bytes may go to the guest now (credit aside).
    var canSendData: Bool {
        phase == .established && hostReadable && !hostEnded && !guestStoppedReceiving
    }

    /// Whether `nextOutgoing` may produce a packet.
    var wantsToSend: Bool {
        !replies.isEmpty || (canSendData && (peerCredit > 0 || !creditRequested))
    }

    /// Every guest packet carries its buffer size and consumed count.
    mutating func updatePeerCredit(bufferAllocation: UInt32, forwardCount: UInt32) {
        if bufferAllocation != peerBufferSize || forwardCount != peerForwarded { creditRequested = false }
        peerBufferSize = bufferAllocation
        peerForwarded = forwardCount
    }

    /// A packet from the guest for this connection (already validated).
    mutating func handle(_ operation: VsockOperation, flags: UInt32, payload: [UInt8]) -> Verdict {
        if operation == .reset { return .remove }
        if phase == .requesting && operation != .response {
            return .reset("\(operation) while the connection is being opened")
        }
        switch operation {
        case .request:
            return .reset("REQUEST for a connection that is already open")
        case .response:
            guard phase == .requesting else { return .reset("RESPONSE for a connection that is already open") }
            phase = .established
            deadline = nil
            return flush()
        case .shutdown:
            if flags & VsockHeader.shutdownReceive != 0 { guestStoppedReceiving = true }
            if flags & VsockHeader.shutdownSend != 0 { guestStoppedSending = true }
            if guestStoppedReceiving && guestStoppedSending && phase != .draining {
                phase = .draining
            }
            return flush()
        case .readWrite:
            return receive(payload)
        case .creditRequest:
            replies.insert(.creditUpdate)
            return .keep
        case .creditUpdate, .reset:
            return .keep
        }
    }

    /// Guest data for the host; more than the credit we gave is a protocol error.
    private mutating func receive(_ payload: [UInt8]) -> Verdict {
        guard !guestStoppedSending else { return .reset("RW after the guest's SHUTDOWN (no more sending)") }
        let room = Int(Self.bufferSize) - buffered
        guard payload.count <= room else {
            return .reset("RW of \(payload.count) bytes exceeds the \(room) bytes of credit given")
        }
        toHost += payload
        received &+= UInt32(payload.count)
        return flush()
    }

    /// Writes held bytes to the host stream as far as it takes them; then applies
    /// the guest's shutdown once nothing is left.
    mutating func flush() -> Verdict {
        guard phase != .requesting else { return .keep }
        while !toHost.isEmpty {
            let result = toHost.withUnsafeBytes { stream.write($0) }
            switch result {
            case .transferred(let count):
                let taken = min(count, toHost.count)
                let ours = min(taken, greetingCount)
                greetingCount -= ours
                forwarded &+= UInt32(taken - ours)
                toHost.removeFirst(taken)
            case .wouldBlock:
                return afterFlush()
            case .closed:
                return .reset(nil)
            case .failed(let reason):
                return .reset("host stream write failed: \(reason)")
            }
        }
        if guestStoppedSending && !hostWriteShut {
            stream.shutdownWrite()
            hostWriteShut = true
        }
        if phase == .draining || (guestStoppedSending && hostEnded) { return .reset(nil) }
        return afterFlush()
    }

    private mutating func afterFlush() -> Verdict {
        if forwarded &- advertisedForwarded >= Self.creditUpdateThreshold { replies.insert(.creditUpdate) }
        return .keep
    }

    /// The next packet for the guest, data read into `scratch` (at most `room`
    /// bytes: what the receive buffer holds after the header).
    mutating func nextOutgoing(room: Int, scratch: UnsafeMutableRawBufferPointer) -> Outgoing {
        let order: [(Replies, VsockOperation)] = [
            (.request, .request), (.response, .response), (.creditUpdate, .creditUpdate),
            (.creditRequest, .creditRequest),
        ]
        for (reply, operation) in order where replies.contains(reply) {
            replies.remove(reply)
            return .control(operation, flags: 0)
        }
        guard canSendData else { return .idle }
        let credit = peerCredit
        guard credit > 0 else {
            guard !creditRequested else { return .idle }
            creditRequested = true
            return .control(.creditRequest, flags: 0)
        }
        let count = min(room, Int(credit), scratch.count)
        guard count > 0 else { return .idle }
        switch stream.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<count])) {
        case .transferred(let read):
            let read = min(read, count)
            sent &+= UInt32(read)
            return .data(read)
        case .wouldBlock:
            hostReadable = false
            return .idle
        case .closed:
            // The host will send no more; the guest may still send (a half close),
            // unless it already said it will not.
            hostEnded = true
            if guestStoppedSending && toHost.isEmpty { return .reset(nil) }
            return .control(.shutdown, flags: VsockHeader.shutdownSend)
        case .failed(let reason):
            return .reset("host stream read failed: \(reason)")
        }
    }
}
