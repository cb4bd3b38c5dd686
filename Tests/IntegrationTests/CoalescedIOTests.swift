import Foundation
import Testing
import VMM

/// Ports 0x70 (CMOS index) and 0x80 (POST codes) are KVM coalesced PIO zones:
/// writes to them are queued in KVM's ring and replayed by the VMM at the next exit.
@Suite(requiresKVM) struct CoalescedIOTests {
    private func expectCMOSLines(_ run: GuestRun, posts: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        // 64 MiB: 48 MiB above 16 MiB = 768 units of 64 KiB.
        #expect(run.output == "cmos: base 640 KiB\ncmos: above 16M 768 x 64 KiB\ncmos: cpus 1\ncmos: clock ok\n"
            + "cmos: \(posts) post codes\n", sourceLocation: sourceLocation)
        #expect(run.reason == .debugExit(status: 1), sourceLocation: sourceLocation)
    }

    @Test func rtcIndexAndPostWritesCostNoExit() throws {
        let run = try GuestRun.boot(guest: "cmos.elf")
        expectCMOSLines(run, posts: 100)
        // The guest reads 13 CMOS registers: 13 index writes, none of them an exit;
        // each read of 0x71 exits, and the index it needs was replayed first.
        #expect(run.report.exits(port: 0x70) == 0)
        #expect(run.report.exits(port: 0x71) == 13)
        #expect(run.report.exits(port: 0x80) == 0)
        let coalesced = run.report.vcpus.flatMap(\.coalescedWrites)
        #expect(coalesced.first { $0.address == 0x70 }?.count == 13)
        #expect(coalesced.first { $0.address == 0x80 }?.count == 100)
        // Only the serial bytes and the debug exit leave the guest through `out`.
        let bytes = UInt64(run.output.utf8.count)
        #expect(run.exits(.ioOut) == bytes + 1)
    }

    @Test func aBurstCostsOneExitPerFullRing() throws {
        let run = try GuestRun.boot(guest: "cmos.elf", commandLine: "post=5000")
        expectCMOSLines(run, posts: 5000)
        let exits = run.report.exits(port: 0x80)
        let coalesced = run.report.vcpus.flatMap(\.coalescedWrites).first { $0.address == 0x80 }?.count ?? 0
        // Every write arrives exactly once, by the ring or, when it is full, by an exit.
        #expect(exits + coalesced == 5000)
        // The ring holds about 170 writes: a full ring costs one exit.
        #expect(exits < 5000 / 100, "\(exits) exits for 5000 writes")
    }
}

/// The virtio-mmio set-up registers that only store a value (feature and queue
/// selectors, QueueNum, the queue addresses) are coalesced MMIO zones.
@Suite(requiresKVM) struct CoalescedVirtioTests {
    @Test func virtioSetUpWritesWaitInTheRing() throws {
        let disk = try VirtioGuestTests.makeDisk(sectors: 64)
        defer { try? FileManager.default.removeItem(at: disk) }
        let run = try GuestRun.boot(guest: "virtio.elf", commandLine: "need=blk,rng") {
            $0.drives = [DriveConfiguration(path: disk.path)]
            $0.rng = true
        }
        #expect(run.output.hasSuffix("virtio: PASS\n"), "\(run.output)")
        let coalesced = run.report.vcpus.flatMap(\.coalescedWrites)
        let pages = run.report.vcpus.flatMap(\.mmioPages)
        for base: UInt64 in [0xD000_0000, 0xD000_1000] {
            // Per device with one queue: DeviceFeaturesSel x2, DriverFeaturesSel x2,
            // DriverFeatures x2, QueueSel, QueueNum and six queue address words.
            #expect(coalesced.first { $0.address == base }?.count == 14, "device at \(base)")
            // What remains are the accesses that must exit: reads, Status, QueueReady,
            // InterruptACK (never coalesced) and config reads.
            let exits = pages.first { $0.address == base }?.count ?? 0
            #expect(exits > 0 && exits < 80, "\(exits) MMIO exits for the device at \(base)")
        }
        // No coalesced write went anywhere but the two devices' windows.
        #expect(Set(coalesced.map(\.address)).isSubset(of: [0xD000_0000, 0xD000_1000]))
    }
}
