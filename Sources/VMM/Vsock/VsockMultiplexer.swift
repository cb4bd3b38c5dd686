import KVM
import Logging
import Synchronization
import Virtio

#if canImport(Glibc)
import Glibc
#endif

/// The host side of virtio-vsock in Firecracker's model: guest connections to
/// host port P are Unix socket connections to `PATH_P`; host clients connect to
/// `PATH` and send `CONNECT <guest port>\n`, then get `OK <host port>\n` once
/// the guest accepts.
///
/// Its own epoll set (nested in the I/O thread's) holds the listener, a 1 s
/// timer and every connection socket, edge-triggered; the I/O thread calls
/// `handleEvents()` when the set is readable. Nothing here blocks: sockets are
/// non-blocking and a connection's bytes move only while the guest has credit
/// and receive buffers for them (the device decides).
final class VsockMultiplexer: VsockBackend, @unchecked Sendable {
    static let listenerToken: UInt64 = 0
    static let timerToken: UInt64 = 1
    static let firstStreamToken: UInt64 = 16
    /// Host clients waiting to send their CONNECT line, at most.
    static let maxHandshakes = 32
    /// Seconds a host client has to send its CONNECT line.
    static let handshakeTimeoutTicks = 3
    /// Host-side problems logged, at most.
    static let logLimit = 32

    let path: String
    private let epoll: Epoll
    private let listener: Int32
    private let timer: IntervalTimer
    private let nextToken = Atomic<UInt64>(firstStreamToken)
    private let state = Mutex(State())
    private let logger = Logger(label: "swift-vmm.vsock")

    private struct State {
        /// Weak: the device holds this multiplexer as its backend.
        weak var device: VirtioVsock?
        var handshakes: [UInt64: VsockHandshake] = [:]
        var timerArmed = false
        var closed = false
        var logged = 0
    }

    /// Listens on the configuration's path (replacing a stale socket file there).
    init(_ configuration: VsockConfiguration) throws(VMMError) {
        path = configuration.udsPath
        do {
            epoll = try Epoll()
        } catch { throw .kvm(error) }
        do {
            timer = try IntervalTimer()
            listener = try UnixSocket.listen(path)
        } catch {
            throw .invalidConfiguration(option: "--vsock", reason: error.description)
        }
        do {
            try epoll.add(listener, token: Self.listenerToken)
            try epoll.add(timer.descriptor, token: Self.timerToken)
        } catch {
            close()
            throw .kvm(error)
        }
    }

    deinit {
        close()
    }

    /// The device whose connections these are (set once, before the I/O thread starts).
    func attach(_ device: VirtioVsock) {
        state.withLock { $0.device = device }
    }

    /// The epoll set the I/O thread watches.
    var descriptor: Int32 { epoll.descriptor.rawValue }

    // MARK: VsockBackend

    func connect(toHostPort port: UInt32) throws -> any VsockHostStream {
        let fd = try UnixSocket.connect("\(path)_\(port)")
        let stream = try register(fd)
        startTicking()
        return stream
    }

    /// Puts `fd` in the epoll set under a fresh token.
    private func register(_ fd: Int32) throws(SocketError) -> UnixStream {
        let token = nextToken.wrappingAdd(1, ordering: .relaxed).oldValue
        do {
            try epoll.addStream(fd, token: token)
        } catch {
            Glibc.close(fd)
            throw SocketError("epoll: \(error)")
        }
        return UnixStream(fd: fd, token: token, epoll: epoll)
    }

    // MARK: events (on the I/O thread)

    /// One non-blocking pass over the ready sockets.
    func handleEvents() {
        let tokens = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 16)
        defer { tokens.deallocate() }
        let count = epoll.wait(into: tokens, timeout: 0)
        for token in tokens.prefix(count) {
            switch token {
            case Self.listenerToken: acceptClients()
            case Self.timerToken: tick()
            default:
                if !advanceHandshake(token) {
                    state.withLock { $0.device }?.hostReady(token: token)
                }
            }
        }
    }

    private func acceptClients() {
        while let fd = UnixSocket.accept(listener) {
            let full = state.withLock { $0.handshakes.count >= Self.maxHandshakes }
            guard !full else {
                Glibc.close(fd)
                report("host connection refused: \(Self.maxHandshakes) clients are still to send CONNECT")
                continue
            }
            let stream: UnixStream
            do { stream = try register(fd) } catch {
                report("host connection refused: \(error)")
                continue
            }
            state.withLock { $0.handshakes[stream.token] = VsockHandshake(stream: stream) }
            startTicking()
            _ = advanceHandshake(stream.token)
        }
    }

    /// Reads a handshake's line if `token` is one; returns false if it is not.
    private func advanceHandshake(_ token: UInt64) -> Bool {
        let pending = state.withLock { $0.handshakes[token] }
        guard var handshake = pending else { return false }
        let step = handshake.advance()
        state.withLock { state in
            state.handshakes[token] = step == .waiting ? handshake : nil
        }
        switch step {
        case .waiting:
            break
        case .closed:
            handshake.stream.close()
        case .refused(let reason):
            report("host connection closed: \(reason)")
            handshake.stream.close()
        case .connect(let port):
            let device = state.withLock { $0.device }
            let greeting: (UInt32) -> [UInt8] = { Array("OK \($0)\n".utf8) }
            guard device?.connect(toGuestPort: port, stream: handshake.stream, greeting: greeting) != nil else {
                report("host connection to guest port \(port) closed: the driver is not ready or too many "
                    + "connections are open")
                handshake.stream.close()
                return true
            }
        }
        return true
    }

    /// Once a second while anything is open: the device's deadlines, and clients
    /// slow to send CONNECT.
    private func tick() {
        guard timer.drain() > 0 else { return }
        let device = state.withLock { $0.device }
        device?.tick()
        let expired: [VsockHandshake] = state.withLock { state in
            var expired: [VsockHandshake] = []
            for (token, var handshake) in state.handshakes {
                handshake.ticks += 1
                if handshake.ticks >= Self.handshakeTimeoutTicks {
                    expired.append(handshake)
                    state.handshakes[token] = nil
                } else {
                    state.handshakes[token] = handshake
                }
            }
            return expired
        }
        for handshake in expired {
            report("host connection closed: no CONNECT line within \(Self.handshakeTimeoutTicks) s")
            handshake.stream.close()
        }
        guard (device?.connectionCount ?? 0) == 0 else { return }
        let disarmed = state.withLock { state in
            guard state.handshakes.isEmpty, state.timerArmed else { return false }
            state.timerArmed = false
            timer.disarm()
            return true
        }
        // A guest connection opened meanwhile (from a vCPU thread) keeps the timer.
        if disarmed, (device?.connectionCount ?? 0) > 0 { startTicking() }
    }

    private func startTicking() {
        state.withLock { state in
            guard !state.timerArmed, !state.closed else { return }
            state.timerArmed = true
            timer.arm(everySeconds: 1)
        }
    }

    private func report(_ message: String) {
        let count = state.withLock { state in
            state.logged += 1
            return state.logged
        }
        if count <= Self.logLimit {
            logger.warning("virtio-vsock: \(message)")
        } else if count == Self.logLimit + 1 {
            logger.warning("virtio-vsock: more host connection problems; no longer logging them")
        }
    }

    /// Closes every socket and removes the listening socket's file (the VM stopped).
    func close() {
        // Only the first call closes: a second one (deinit after the VM's own close)
        // must not close the listener's number again (by then it may be another
        // file's) or unlink a socket a new VM made at the same path.
        let first = state.withLock { state -> (device: VirtioVsock?, handshakes: [UInt64: VsockHandshake])? in
            guard !state.closed else { return nil }
            state.closed = true
            defer { state.handshakes = [:] }
            return (state.device, state.handshakes)
        }
        guard let (device, handshakes) = first else { return }
        for handshake in handshakes.values { handshake.stream.close() }
        device?.closeAll()
        _ = try? epoll.remove(listener)
        Glibc.close(listener)
        unlink(path)
    }
}
