import Foundation
import Logging
import Testing
import VMM

/// A fresh directory for one test's files.
func temporaryDirectory(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "swift-vmm-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct LoggerTests {
    private func logger(_ label: String, _ sink: LogSink) -> Logger {
        Logger(label: label) { label in FirecrackerLogHandler(label: label, sink: sink) }
    }

    private func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func linesLandInTheFileWithLevelAndOrigin() throws {
        let path = try temporaryDirectory("log") + "/vmm.log"
        let sink = LogSink()
        try sink.configure(LoggerConfiguration(logPath: path, level: .info, showLevel: true, showLogOrigin: true))
        #expect(sink.destinationPath == path)
        let log = logger("vmm.api", sink)
        log.info("hello", metadata: ["b": "2", "a": "1"]); let line = #line
        log.debug("too verbose")
        let written = try lines(path)
        try #require(written.count == 1, "\(written)")
        let pattern = #/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) \[swift-vmm:vmm\.api:INFO:(.+):(\d+)\] hello a=1 b=2$/#
        let match = try #require(written[0].wholeMatch(of: pattern), "got \(written[0])")
        #expect(match.2.hasSuffix("LoggerTests.swift"))
        #expect(Int(match.3) == line)
    }

    @Test func withoutLevelAndOriginOnlyTheLabel() throws {
        let path = try temporaryDirectory("log") + "/vmm.log"
        let sink = LogSink()
        try sink.configure(LoggerConfiguration(logPath: path, level: .warning))
        logger("vmm", sink).warning("careful")
        let written = try lines(path)
        #expect(written.count == 1)
        #expect(written.first?.hasSuffix(" [swift-vmm:vmm] careful") == true, "\(written)")
    }

    @Test func filteredLevelsAreAbsentAndOffWritesNothing() throws {
        let path = try temporaryDirectory("log") + "/vmm.log"
        let sink = LogSink()
        try sink.configure(LoggerConfiguration(logPath: path, level: .warning, showLevel: true))
        let log = logger("vmm", sink)
        log.trace("t"); log.debug("d"); log.info("i"); log.notice("n")
        log.warning("w"); log.error("e"); log.critical("c")
        #expect(try lines(path).map { $0.split(separator: " ", maxSplits: 1)[1] }
                == ["[swift-vmm:vmm:WARN] w", "[swift-vmm:vmm:ERROR] e", "[swift-vmm:vmm:CRITICAL] c"])
        try sink.configure(LoggerConfiguration(level: .trace))
        log.trace("now visible")
        #expect(try lines(path).count == 4, "a level change applies to existing loggers")
        try sink.configure(LoggerConfiguration(level: .off))
        log.critical("silenced")
        #expect(try lines(path).count == 4)
    }

    @Test func moduleFiltersOnTheLabelPrefix() throws {
        let path = try temporaryDirectory("log") + "/vmm.log"
        let sink = LogSink()
        try sink.configure(LoggerConfiguration(logPath: path, level: .info, module: "vmm.virtio"))
        logger("vmm.virtio.blk", sink).info("kept")
        logger("vmm.api", sink).info("dropped")
        #expect(try lines(path).map { $0.hasSuffix("] kept") } == [true])
    }

    @Test func levelSpellings() throws {
        #expect(try LogLevelFilter(parsing: "Warn") == .warning)
        #expect(try LogLevelFilter(parsing: "WARNING") == .warning)
        #expect(try LogLevelFilter(parsing: "trace") == .trace)
        #expect(try LogLevelFilter(parsing: "Off") == .off)
        #expect(throws: LoggerConfigurationError.invalidLevel("loud")) { try LogLevelFilter(parsing: "loud") }
        #expect(LoggerConfigurationError.invalidLevel("loud").description.contains("Warning (or Warn)"))
    }

    @Test func unopenablePathIsAClearErrorAndChangesNothing() throws {
        let sink = LogSink()
        let path = "/nonexistent-swift-vmm-dir/vmm.log"
        do {
            try sink.configure(LoggerConfiguration(logPath: path, level: .trace))
            Issue.record("opening \(path) should fail")
        } catch {
            #expect(error.description == "log file: cannot open \(path): No such file or directory")
        }
        #expect(sink.level == .warning, "a refused configuration applies none of its fields")
        #expect(sink.destinationPath == "stderr")
        let directory = try temporaryDirectory("log")
        #expect(throws: LoggerConfigurationError.self) { try sink.configure(LoggerConfiguration(logPath: directory)) }
        #expect(throws: LoggerConfigurationError.destination(.emptyPath(what: "log file"))) {
            try sink.configure(LoggerConfiguration(logPath: ""))
        }
    }

    @Test func fifoWithoutReaderDoesNotBlock() throws {
        let path = try temporaryDirectory("log") + "/log.fifo"
        try #require(mkfifo(path, 0o600) == 0)
        let sink = LogSink()
        try sink.configure(LoggerConfiguration(logPath: path, level: .info))
        let log = logger("vmm", sink)
        let payload = String(repeating: "x", count: 1000)
        let start = Date()
        for _ in 0..<200 { log.info("\(payload)") }  // 200 kB: more than a pipe holds
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(sink.missedLineCount > 0, "lines beyond the pipe's capacity are dropped and counted")
        // A reader that comes later gets whole lines.
        let reader = open(path, O_RDONLY | O_NONBLOCK)
        try #require(reader >= 0)
        defer { close(reader) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(reader, &buffer, buffer.count)
        #expect(count > 0)
        #expect(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).contains("[swift-vmm:vmm] xxx"))
    }

    @Test func timestamps() {
        #expect(LogLine.timestamp(timespec(tv_sec: 0, tv_nsec: 5)) == "1970-01-01T00:00:00.000000005Z")
        #expect(LogLine.timestamp(timespec(tv_sec: 1_700_000_000, tv_nsec: 123_456_789))
                == "2023-11-14T22:13:20.123456789Z")
    }
}
