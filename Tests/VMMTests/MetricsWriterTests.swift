import Foundation
import Synchronization
import Testing
import VMM

@Suite struct MetricsWriterTests {
    /// A snapshot of two vCPUs with `io` port exits each way and `mmio` MMIO reads.
    private func snapshot(io: UInt64, mmio: UInt64, internalErrors: UInt64 = 0, kernel: UInt64? = 100) -> ExitSnapshot {
        var counts = [UInt64](repeating: 0, count: ExitReason.count)
        counts[ExitReason.ioIn.rawValue] = io
        counts[ExitReason.ioOut.rawValue] = io
        counts[ExitReason.mmioRead.rawValue] = mmio
        var second = [UInt64](repeating: 0, count: ExitReason.count)
        second[ExitReason.internalError.rawValue] = internalErrors
        return ExitSnapshot(time: 0, exits: [counts, second], kernelExits: [kernel, nil])
    }

    private func objects(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        return try text.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
        }
    }

    private func group(_ object: [String: Any], _ name: String) -> [String: Int] {
        (object[name] as? [String: Any])?.compactMapValues { ($0 as? NSNumber)?.intValue } ?? [:]
    }

    @Test func twoFlushesGiveTwoLinesOfDeltas() throws {
        let path = try temporaryDirectory("metrics") + "/metrics.json"
        let writer = try MetricsWriter(path: path)
        let before = Date().timeIntervalSince1970 * 1000
        #expect(writer.flush(snapshot(io: 10, mmio: 3), apiServer: ["put_count": 2]) != nil)
        writer.flush(snapshot(io: 25, mmio: 3, internalErrors: 1, kernel: 160), apiServer: ["put_count": 5, "get_count": 1])
        let lines = try objects(path)
        try #require(lines.count == 2)
        #expect(group(lines[0], "vcpu") == ["exit_io_in": 10, "exit_io_out": 10, "exit_mmio_read": 3,
                                            "exit_mmio_write": 0, "failures": 0])
        #expect(group(lines[1], "vcpu") == ["exit_io_in": 15, "exit_io_out": 15, "exit_mmio_read": 0,
                                            "exit_mmio_write": 0, "failures": 1])
        #expect(group(lines[0], "vmm") == ["exits": 23, "kernel_exits": 100])
        #expect(group(lines[1], "vmm") == ["exits": 31, "kernel_exits": 60])
        #expect(group(lines[0], "api_server") == ["put_count": 2])
        #expect(group(lines[1], "api_server") == ["put_count": 3, "get_count": 1])
        let exits = group(lines[1], "exits")
        #expect(exits.count == ExitReason.count)
        #expect(exits["io-in"] == 15 && exits["internal-error"] == 1 && exits["hlt"] == 0)
        let stamp = try #require((lines[0]["utc_timestamp_ms"] as? NSNumber)?.doubleValue)
        #expect(stamp >= before.rounded(.down) && stamp < before + 60_000)
    }

    @Test func totalsWhenAsked() throws {
        let path = try temporaryDirectory("metrics") + "/metrics.json"
        let writer = try MetricsWriter(path: path, reporting: .totals)
        writer.flush(snapshot(io: 10, mmio: 0))
        writer.flush(snapshot(io: 25, mmio: 0))
        let lines = try objects(path)
        #expect(lines.map { group($0, "vcpu")["exit_io_in"] } == [10, 25])
    }

    @Test func aCounterThatGoesBackwardsReportsItsNewValue() throws {
        let path = try temporaryDirectory("metrics") + "/metrics.json"
        let writer = try MetricsWriter(path: path)
        writer.flush(snapshot(io: 10, mmio: 0))
        writer.flush(snapshot(io: 4, mmio: 0))  // a new VM after a reset restart
        #expect(try objects(path).map { group($0, "vcpu")["exit_io_in"] } == [10, 4])
    }

    @Test func periodicFlushWritesLinesAndALastOneOnStop() throws {
        let path = try temporaryDirectory("metrics") + "/metrics.json"
        let writer = try MetricsWriter(path: path)
        let io = Atomic<UInt64>(0)
        try writer.startPeriodicFlush(every: 0.05, take: { [self] in
            snapshot(io: io.add(1, ordering: .relaxed).newValue, mmio: 0)
        })
        #expect(throws: VMMError.self) { try writer.startPeriodicFlush(take: { snapshot(io: 0, mmio: 0) }) }
        usleep(300_000)
        writer.stopPeriodicFlush()
        let lines = try objects(path)
        #expect(lines.count >= 3, "about six lines in 0.3 s at 0.05 s")
        let total = lines.compactMap { group($0, "vcpu")["exit_io_in"] }.reduce(0, +)
        #expect(UInt64(total) == io.load(ordering: .relaxed), "the deltas add up to the last total")
        writer.stopPeriodicFlush()
    }

    @Test func fifoWithoutReaderDoesNotBlock() throws {
        let path = try temporaryDirectory("metrics") + "/metrics.fifo"
        try #require(mkfifo(path, 0o600) == 0)
        let writer = try MetricsWriter(path: path)
        let start = Date()
        for _ in 0..<400 { writer.flush(snapshot(io: 1, mmio: 1), apiServer: ["put_count": 1]) }
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(writer.missedLineCount > 0)
    }

    @Test func unopenablePath() {
        #expect(throws: FileDestinationError.cannotOpen(what: "metrics file", path: "/nonexistent-swift-vmm/m.json",
                                                        errno: ENOENT)) {
            try MetricsWriter(path: "/nonexistent-swift-vmm/m.json")
        }
    }
}
