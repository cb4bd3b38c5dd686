import Foundation
import Logging
import Synchronization
import Testing
@testable import VMM

/// Each bound of `ResourceLimits` parsed, and hit: a clear error or a counted drop
/// naming the limit, never a crash.
@Suite struct ResourceLimitsTests {
    @Test func defaults() {
        let limits = ResourceLimits()
        #expect(limits.memory == 64 << 30)
        #expect(limits.devices == 15)  // one interrupt line each; GSI 9 is the ACPI SCI
        #expect(limits.logBytes == 64 << 20)
        #expect(limits.traceBytes == 256 << 20)
        #expect(limits.vsockConnections == 128)
    }

    @Test func limitOptionsAreParsed() throws {
        var limits = ResourceLimits()
        try limits.set("memory=512M")
        try limits.set("devices=2")
        try limits.set("log-bytes=4K")
        try limits.set("trace-bytes=1000")
        try limits.set("vsock-connections=8")
        #expect(limits.memory == 512 << 20)
        #expect(limits.devices == 2)
        #expect(limits.logBytes == 4096)
        #expect(limits.traceBytes == 1000)
        #expect(limits.vsockConnections == 8)
        // The units --memory takes.
        try limits.set("memory=512MiB")
        try limits.set("log-bytes=2KB")
        #expect(limits.memory == 512 << 20 && limits.logBytes == 2048)
    }

    @Test(arguments: [("bogus=1", "unknown limit 'bogus'"), ("memory", "is not NAME=VALUE"),
                      ("memory=lots", "expected a size"), ("devices=16", "from 1 to 15"),
                      ("log-bytes=0", "expected a size above 0"), ("vsock-connections=-1", "from 1 to 4096")])
    func badLimitsAreClearErrors(text: String, fragment: String) {
        var limits = ResourceLimits()
        #expect {
            try limits.set(text)
        } throws: { error in
            "\(error)".contains(fragment) && "\(error)".contains("--limit")
        }
    }

    @Test func memoryOverTheLimitIsRefusedNamingIt() {
        var configuration = MachineConfiguration()
        configuration.memorySize = 64 << 20
        configuration.limits.memory = 32 << 20
        #expect {
            try configuration.validate()
        } throws: { error in
            "\(error)".contains("64 MiB is more than the memory limit of 32 MiB (--limit memory=SIZE)")
        }
        configuration.limits.memory = 64 << 20
        #expect(throws: Never.self) { try configuration.validate() }
    }

    @Test func devicesOverTheLimitAreRefusedBeforeAnyIsOpened() {
        var configuration = MachineConfiguration()
        configuration.drives = [DriveConfiguration(path: "/nonexistent/a"), DriveConfiguration(path: "/nonexistent/b")]
        configuration.rng = true
        configuration.limits.devices = 2
        #expect {
            try configuration.validate()
        } throws: { error in
            "\(error)".contains("3 virtio devices are more than the device limit of 2")
        }
    }

    @Test func theLogBudgetWritesOneNoticeThenDrops() {
        let budget = LogBudget(limit: 100)
        #expect(budget.take(60) == .write)
        #expect(budget.take(40) == .write)
        #expect(budget.take(1) == .writeNotice)
        #expect(budget.take(1) == .drop)
        #expect(budget.take(1) == .drop)
        #expect(budget.droppedLines == 3)
        #expect(budget.notice.contains("log limit of 100 bytes reached (--limit log-bytes=SIZE)"))
    }

    @Test func aLogFileStopsGrowingAtItsLimit() throws {
        let path = try temporaryDirectory("log-limit") + "/vmm.log"
        let sink = LogSink()
        try sink.configure(LoggerConfiguration(logPath: path, level: .warning))
        sink.setByteLimit(1024)
        let log = Logger(label: "vmm") { label in FirecrackerLogHandler(label: label, sink: sink) }
        for i in 0..<1000 { log.warning("a guest made the VMM log this line, number \(i)") }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.utf8.count <= 1024 + 200, "\(text.utf8.count) bytes")
        #expect(text.hasSuffix("log limit of 1 KiB reached (--limit log-bytes=SIZE); further log lines are dropped\n"))
        #expect(sink.overLimitLineCount > 900)
    }

    @Test func theStandardErrorHandlerKeepsToTheBudget() {
        let recorder = RecordingHandler()
        let budget = LogBudget(limit: 500)
        let log = Logger(label: "vmm") { label in BudgetedLogHandler(wrapping: recorder, label: label, budget: budget) }
        for i in 0..<100 { log.warning("line \(i)") }
        let lines = recorder.lines.withLock { $0 }
        #expect(lines.count < 20)
        #expect(lines.last?.contains("log limit of 500 bytes reached") == true, "\(lines)")
        #expect(budget.droppedLines == UInt64(100 - lines.count + 1))
    }

    @Test func aTraceFileKeepsToItsLimitAndCountsWhatItLeftOut() throws {
        let trace = ExitTrace(capacity: 10_000)
        for i in 0..<10_000 as Range<UInt64> {
            trace.record(.ioOut, returnedAt: 100 * i, enteredAt: 100 * i + 7, detail: 0x3F8)
        }
        let path = try temporaryDirectory("trace-limit") + "/trace.json"
        let omitted = try ExitTraceWriter.write([trace], origin: 0, to: path, maximumBytes: 64 << 10)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count <= 64 << 10)
        #expect(omitted > 9000)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(json?["omittedEvents"] as? Int == omitted)
        let events = json?["traceEvents"] as? [Any]
        #expect(events.map { $0.count - 2 + omitted } == 10_000)   // two metadata events
        // Without a limit nothing is left out.
        #expect(try ExitTraceWriter.write([trace], origin: 0, to: path) == 0)
    }
}

/// A log handler that keeps the lines it is given.
final class RecordingHandler: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLock { $0.append(event.message.description) }
    }
}

@Suite struct CapturedSerialOutputTests {
    @Test func keepsAtMostItsLimitAndCountsTheRest() {
        let output = CapturedSerialOutput(limit: 4)
        for byte in Array("hello".utf8) { output.write(byte: byte) }
        #expect(output.text == "hell")
        #expect(output.droppedBytes == 1)
    }
}
