@testable import VMM
import Devices
import Testing

final class NullDevice: BusDevice {
    func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) { data.storeLittleEndian(offset) }
    func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction { .none }
}

@Suite struct IOBusTests {
    @Test func findsDevicesByRangeAndOffset() throws {
        var builder = IOBusBuilder()
        let a = NullDevice(), b = NullDevice()
        try builder.insert(b, name: "b", base: 0x3F8, size: 8)
        try builder.insert(a, name: "a", base: 0xF4, size: 4)
        let bus = builder.freeze()
        #expect(bus.find(0xF3) == nil)
        #expect(bus.find(0xF4)?.device === a && bus.find(0xF4)?.offset == 0)
        #expect(bus.find(0xF7)?.offset == 3)
        #expect(bus.find(0xF8) == nil)
        #expect(bus.find(0x3FD)?.device === b && bus.find(0x3FD)?.offset == 5)
        #expect(bus.find(0x400) == nil)
        #expect(bus.entries.map(\.name) == ["a", "b"], "frozen bus is sorted")
    }

    @Test func rejectsOverlaps() throws {
        var builder = IOBusBuilder()
        try builder.insert(NullDevice(), name: "serial", base: 0x3F8, size: 8)
        #expect(throws: VMMError.self) { try builder.insert(NullDevice(), name: "x", base: 0x3FF, size: 2) }
        #expect(throws: VMMError.self) { try builder.insert(NullDevice(), name: "y", base: 0x3F0, size: 9) }
        #expect(throws: VMMError.self) { try builder.insert(NullDevice(), name: "empty", base: 0x10, size: 0) }
        try builder.insert(NullDevice(), name: "adjacent", base: 0x400, size: 1)
    }

    @Test func emptyBusFindsNothing() {
        #expect(IOBusBuilder().freeze().find(0) == nil)
    }

    @Test func highMMIOAddresses() throws {
        var builder = IOBusBuilder()
        try builder.insert(NullDevice(), name: "top", base: 0xFFFF_FFFF_FFFF_F000, size: 0x1000)
        let bus = builder.freeze()
        #expect(bus.find(UInt64.max)?.offset == 0xFFF)
    }
}

@Suite struct CountersTests {
    @Test func addressCountersCountAndOverflow() {
        let counters = AddressCounters(capacity: 16)
        for address in 0..<UInt64(16) { counters.increment(address * 4096) }
        counters.increment(0)
        counters.increment(0xDEAD_0000)  // table is full
        let sorted = counters.sorted()
        #expect(sorted.count == 16)
        #expect(sorted.first?.address == 0 && sorted.first?.count == 2)
        #expect(counters.overflow == 1)
    }

    @Test func statisticsCountByReasonAndPort() throws {
        let stats = try VCPUStatistics()
        stats.count(.ioOut)
        stats.count(.ioOut)
        stats.count(.halt)
        stats.countPort(0x3F8)
        stats.countPort(0x3F8)
        stats.countUnassignedPort(0x10)
        stats.recordHandlingTime(.ioOut, nanoseconds: 1000)
        stats.recordHandlingTime(.ioOut, nanoseconds: 3000)
        #expect(stats.exits(.ioOut) == 2)
        #expect(stats.totalExits == 3)
        #expect(stats.ports().first?.port == 0x3F8 && stats.ports().first?.count == 2)
        #expect(stats.ports(unassignedOnly: true).map(\.port) == [0x10])
        #expect(stats.handlingNanoseconds(.ioOut) == 4000)
        #expect(stats.histogram(.ioOut).totalCount == 2)
        let report = ExitReport(statistics: [stats], kvm: [[:]], wallNanoseconds: 5, stopReason: .halted(vcpu: 0))
        #expect(report.count(.ioOut) == 2)
        #expect(report.exits(port: 0x3F8) == 2)
        #expect(report.totals.first { $0.reason == "io-out" }?.meanNanoseconds == 2000)
        #expect(report.exitStatus == 0)
        #expect(report.table().contains("io-out"))
    }
}

@Suite struct StopReasonTests {
    @Test func exitStatuses() {
        #expect(StopReason.debugExit(status: 85).exitStatus == 85)
        #expect(StopReason.halted(vcpu: 0).exitStatus == 0)
        #expect(StopReason.tripleFault(vcpu: 0).exitStatus == 4)
        #expect(StopReason.internalError(vcpu: 0, suberror: 1, rip: 0x1000, instruction: [0xCC], data: []).exitStatus == 6)
        #expect(StopReason.unassignedAccess(vcpu: 0, detail: "x").exitStatus == 8)
        #expect(StopReason.timeout(seconds: 1).exitStatus == 124)
        #expect(StopReason.signal(2).exitStatus == 130)
    }

    @Test func internalErrorNamesRIPAndBytes() {
        let reason = StopReason.internalError(vcpu: 0, suberror: 1, rip: 0x10_0040, instruction: [0x0F, 0xC7, 0x0E],
                                              data: [])
        #expect(reason.summary.contains("emulation failure"))
        #expect(reason.summary.contains("RIP 0x100040"))
        #expect(reason.summary.contains("0f c7 0e"))
        #expect(!reason.summary.contains("\n"), "one line")
    }

    @Test func formatsDurations() {
        #expect(ExitReport.formatNanoseconds(850) == "850 ns")
        #expect(ExitReport.formatNanoseconds(12_345) == "12.3 µs")
        #expect(ExitReport.formatNanoseconds(4_560_000) == "4.56 ms")
        #expect(ExitReport.formatNanoseconds(1_230_000_000) == "1.23 s")
    }
}
