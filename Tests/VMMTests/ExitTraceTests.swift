import MetricsTestKit
import Testing
@testable import VMM

@Suite struct ExitTraceTests {
    @Test func theRingKeepsTheLatestExitsInOrder() {
        let trace = ExitTrace(capacity: 3)
        for i in 0..<5 as Range<UInt64> {
            trace.record(.ioOut, returnedAt: 100 * i, enteredAt: 100 * i + 7, detail: 0x3F8 + i)
        }
        #expect(trace.recorded == 5)
        #expect(trace.dropped == 2)
        #expect(trace.events.map(\.detail) == [0x3FA, 0x3FB, 0x3FC])
        #expect(trace.events.allSatisfy { $0.handlingNanoseconds == 7 && $0.reason == .ioOut })
    }

    @Test func aTraceThatNeverFilledHasNoDrops() {
        let trace = ExitTrace(capacity: 8)
        trace.record(.mmioRead, returnedAt: 5, enteredAt: 9, detail: 0xD000_0000)
        #expect(trace.dropped == 0)
        #expect(trace.events == [ExitTrace.Event(returnedAt: 5, handlingNanoseconds: 4, detail: 0xD000_0000,
                                                  reason: .mmioRead)])
    }

    @Test func eventsAreChromeCompleteEventsInMicroseconds() {
        let port = ExitTrace.Event(returnedAt: 1_012_345, handlingNanoseconds: 800, detail: 0x3F8, reason: .ioOut)
        #expect(ExitTraceWriter.line(port, vcpu: 1, origin: 1_000_000)
            == #"{"name":"io-out","cat":"exit","ph":"X","ts":12.345,"dur":0.800,"pid":1,"tid":1,"args":{"port":"0x3f8"}}"#)
        let mmio = ExitTrace.Event(returnedAt: 5, handlingNanoseconds: 1_500, detail: 0xD000_0050, reason: .mmioWrite)
        #expect(ExitTraceWriter.line(mmio, vcpu: 0, origin: 10).contains(#""ts":0.000,"dur":1.500"#))
        #expect(ExitTraceWriter.line(mmio, vcpu: 0, origin: 0).hasSuffix(#""args":{"address":"0xd0000050"}}"#))
        let halt = ExitTrace.Event(returnedAt: 0, handlingNanoseconds: 0, detail: 0, reason: .halt)
        #expect(!ExitTraceWriter.line(halt, vcpu: 0, origin: 0).contains("args"))
    }
}

@Suite struct LiveExitViewTests {
    private func snapshot(seconds: Double, ioOut: UInt64, mmioRead: UInt64, kernel: UInt64?) -> ExitSnapshot {
        var counts = [UInt64](repeating: 0, count: ExitReason.count)
        counts[ExitReason.ioOut.rawValue] = ioOut
        counts[ExitReason.mmioRead.rawValue] = mmioRead
        return ExitSnapshot(time: UInt64(seconds * 1e9), exits: [counts], kernelExits: [kernel])
    }

    @Test func ratesPerSecondBusiestFirst() {
        let before = snapshot(seconds: 2, ioOut: 100, mmioRead: 10, kernel: 1_000)
        let after = snapshot(seconds: 4, ioOut: 2_500, mmioRead: 650, kernel: 9_000)
        #expect(LiveExitView.line(from: before, to: after, start: 0)
            == "vmm: 4.0 s: 1520 exits/s to user space (io-out 1200, mmio-read 320); 4000 exits/s seen by KVM")
    }

    @Test func quietIntervalsAndNoKernelStatistics() {
        let before = snapshot(seconds: 1, ioOut: 5, mmioRead: 0, kernel: nil)
        let after = snapshot(seconds: 1.5, ioOut: 5, mmioRead: 0, kernel: nil)
        #expect(LiveExitView.line(from: before, to: after, start: UInt64(0.5e9)) == "vmm: 1.0 s: 0 exits/s to user space")
    }
}

@Suite struct ExitMetricsTests {
    @Test func countersAdvanceByTheDifferenceBetweenSnapshots() throws {
        let metrics = TestMetrics()
        let exits = ExitMetrics(factory: metrics)
        var counts = [UInt64](repeating: 0, count: ExitReason.count)
        counts[ExitReason.ioOut.rawValue] = 10
        exits.publish(ExitSnapshot(time: 1, exits: [counts], kernelExits: [15]))
        counts[ExitReason.ioOut.rawValue] = 25
        counts[ExitReason.halt.rawValue] = 1
        exits.publish(ExitSnapshot(time: 2, exits: [counts], kernelExits: [40]))
        let ioOut = try metrics.expectCounter("vmm_exits_total", [("vcpu", "0"), ("reason", "io-out")])
        #expect(ioOut.totalValue == 25)
        #expect(try metrics.expectCounter("vmm_exits_total", [("vcpu", "0"), ("reason", "hlt")]).totalValue == 1)
        #expect(try metrics.expectCounter("vmm_kvm_exits_total", [("vcpu", "0")]).totalValue == 40)
        // Reasons that never happened are not published.
        #expect(throws: (any Error).self) {
            try metrics.expectCounter("vmm_exits_total", [("vcpu", "0"), ("reason", "mmio-read")])
        }
    }
}
