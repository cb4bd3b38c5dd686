#if canImport(Glibc)
import Glibc
#endif

/// Writes exit traces as Chrome trace-event JSON (the "JSON Object Format" that
/// chrome://tracing and ui.perfetto.dev open): one complete event ("ph": "X") per
/// exit on the vCPU's track, lasting as long as user space handled it, so the gaps
/// between events are time spent in the guest (or inside KVM).
public enum ExitTraceWriter {
    /// Writes `traces` (index = vCPU) with times relative to `origin` (monotonic ns),
    /// in at most about `maximumBytes` bytes (`--limit trace-bytes`): events that would
    /// pass it are left out, counted in the file's `omittedEvents`, and returned.
    @discardableResult
    public static func write(_ traces: [ExitTrace], origin: UInt64, to path: String,
                             maximumBytes: UInt64 = .max) throws(VMMError) -> Int {
        guard let file = fopen(path, "w") else {
            throw .invalidConfiguration(option: "--trace", reason: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var failed = false
        var buffer = ""
        var written: UInt64 = 0
        var omitted = 0
        buffer.reserveCapacity(1 << 20)
        func flush(force: Bool = false) {
            guard force || buffer.utf8.count >= 1 << 20 else { return }
            let count = buffer.utf8.count
            written += UInt64(count)
            let written = buffer.withUTF8 { fwrite($0.baseAddress, 1, $0.count, file) }
            if written != count { failed = true }
            buffer.removeAll(keepingCapacity: true)
        }
        let dropped = traces.reduce(0) { $0 + $1.dropped }
        buffer += "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"swift-vmm\",\"droppedEvents\":\(dropped)},"
        buffer += "\"traceEvents\":[\n"
        buffer += "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"swift-vmm exits\"}}"
        for (vcpu, trace) in traces.enumerated() {
            buffer += ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":\(vcpu),\"args\":{\"name\":\"vCPU \(vcpu)\"}}"
            for event in trace.events {
                let text = ",\n" + line(event, vcpu: vcpu, origin: origin)
                // Room is kept for the closing text (under 64 bytes).
                guard written + UInt64(buffer.utf8.count + text.utf8.count) + 64 <= maximumBytes else {
                    omitted += 1
                    continue
                }
                buffer += text
                flush()
            }
        }
        buffer += "\n],\"omittedEvents\":\(omitted)}\n"
        flush(force: true)
        if fclose(file) != 0 { failed = true }
        if failed {
            throw .invalidConfiguration(option: "--trace", reason: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return omitted
    }

    /// One event, e.g. `{"name":"io-out","cat":"exit","ph":"X","ts":12.345,"dur":0.8,"pid":1,"tid":0,"args":{"port":"0x3f8"}}`.
    static func line(_ event: ExitTrace.Event, vcpu: Int, origin: UInt64) -> String {
        let start = event.returnedAt >= origin ? event.returnedAt - origin : 0
        var text = "{\"name\":\"\(event.reason.name)\",\"cat\":\"exit\",\"ph\":\"X\",\"ts\":\(microseconds(start)),"
        text += "\"dur\":\(microseconds(event.handlingNanoseconds)),\"pid\":1,\"tid\":\(vcpu)"
        switch event.reason {
        case .ioIn, .ioOut: text += ",\"args\":{\"port\":\"0x\(String(event.detail, radix: 16))\"}"
        case .mmioRead, .mmioWrite: text += ",\"args\":{\"address\":\"0x\(String(event.detail, radix: 16))\"}"
        case .msrRead, .msrWrite: text += ",\"args\":{\"msr\":\"0x\(String(event.detail, radix: 16))\"}"
        default: break
        }
        return text + "}"
    }

    /// Nanoseconds as microseconds with three decimals ("12.345").
    static func microseconds(_ nanoseconds: UInt64) -> String {
        let fraction = String(nanoseconds % 1000)
        return "\(nanoseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
