import Devices
import KVM
import Seccomp

#if canImport(Glibc)
import Glibc
#endif

/// Where the serial port's input comes from.
public enum SerialInput: Sendable, Equatable {
    /// Nothing: the guest never receives a byte.
    case none
    /// A file descriptor (standard input for the CLI), read on a thread of its own.
    case descriptor(Int32)

    /// Standard input when it is a terminal, a pipe or a socket; `.none` otherwise
    /// (e.g. /dev/null, or a closed descriptor), so a VMM started by a supervisor
    /// never waits on input nobody will send.
    public static var standardInputIfInteractive: SerialInput {
        var status = stat()
        guard fstat(0, &status) == 0 else { return .none }
        let kind = status.st_mode & S_IFMT
        if isatty(0) != 0 || kind == S_IFIFO || kind == S_IFSOCK { return .descriptor(0) }
        return .none
    }
}

/// Copies bytes from a descriptor into a console: the UART's receive FIFO, or the
/// virtio console's receive queue.
///
/// Runs on its own thread, never a vCPU's. When the FIFO is full it waits for the
/// guest to read, so nothing typed or piped is lost; each byte queued raises the
/// UART's receive interrupt (an irqfd write) if the guest enabled it. End of input
/// ends the pump, not the VM.
final class SerialInputPump: @unchecked Sendable {
    private let source: Int32
    /// Offers bytes to the console device; returns how many it took.
    private let accept: @Sendable (ArraySlice<UInt8>) -> Int
    private let thread: ServiceThread
    private var stopEvent: EventFD { thread.stopEvent }

    init(source: Int32, accept: @escaping @Sendable (ArraySlice<UInt8>) -> Int) throws(VMMError) {
        self.source = source
        self.accept = accept
        thread = try ServiceThread(name: "serial input thread")
    }

    /// Starts the thread; `filter` (seccomp) is installed on it first when given.
    func start(filter: SeccompFilter? = nil) throws(VMMError) {
        try thread.start(filter: filter) { [self] in pump() }
    }

    /// Ends the pump and waits for its thread.
    func stop() {
        thread.stop()
    }

    private func pump() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            guard wait(for: source) else { return }
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard count > 0 else { return }  // end of input, or an error: stop reading
            var pending = buffer[0..<count]
            while !pending.isEmpty {
                let taken = accept(pending)
                pending = pending.dropFirst(taken)
                // FIFO full: give the guest a moment to read, unless we are stopping.
                if taken == 0 && !sleepUnlessStopped(milliseconds: 2) { return }
            }
        }
    }

    /// Waits until `descriptor` is readable; false when asked to stop.
    private func wait(for descriptor: Int32) -> Bool {
        var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stopEvent.descriptor.rawValue, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&fds, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 || fds[1].revents != 0 { return false }
            if fds[0].revents != 0 { return true }
        }
    }

    /// Sleeps, returning false early if asked to stop.
    private func sleepUnlessStopped(milliseconds: Int32) -> Bool {
        var fds = [pollfd(fd: stopEvent.descriptor.rawValue, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, milliseconds) == 0
    }
}
