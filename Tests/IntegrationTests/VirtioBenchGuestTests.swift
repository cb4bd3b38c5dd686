import Foundation
import Testing
import VMM

/// Smoke test of the virtio-blk benchmark guest (Guests/multiboot/virtio_bench.c)
/// under swift-vmm: it completes with its data check passing, the disk holds what
/// it wrote, a disk it cannot explain makes it fail, and its request loop costs no
/// exits to user space (the order of magnitude only; timing is left to
/// Benchmarks/blk.py).
@Suite(requiresKVM) struct VirtioBenchGuestTests {
    static let blockSize = 4096

    /// A zero-filled disk of `blocks` 4 KiB blocks (zeroes: "never written").
    static func makeDisk(blocks: Int, fill: UInt8 = 0) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("vmm-bench-disk-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).img")
        try Data(repeating: fill, count: blocks * blockSize).write(to: url)
        return url
    }

    /// The guest's pattern: block `block` written with generation `generation`.
    static func word(_ index: Int, block: UInt64, generation: UInt64) -> UInt64 {
        switch index {
        case 0: return block
        case 1: return generation
        default:
            let base = generation &* 0x9E37_79B9_7F4A_7C15 ^ (block << 24) ^ 0x5BD1_E995
            return base ^ (UInt64(index) &* 0xFF51_AFD7_ED55_8CCD)
        }
    }

    /// Counts the blocks of `disk` that are zero and that hold a written pattern;
    /// nil if any block is neither.
    static func classify(_ disk: URL) throws -> (zero: Int, written: Int)? {
        let data = try Data(contentsOf: disk)
        return data.withUnsafeBytes { bytes -> (zero: Int, written: Int)? in
            var zero = 0, written = 0
            for block in 0..<(bytes.count / blockSize) {
                func load(_ index: Int) -> UInt64 {
                    UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: block * blockSize + index * 8, as: UInt64.self))
                }
                let words = blockSize / 8
                if (0..<words).allSatisfy({ load($0) == 0 }) {
                    zero += 1
                    continue
                }
                let generation = load(1)
                guard generation != 0,
                    (0..<words).allSatisfy({ load($0) == word($0, block: UInt64(block), generation: generation) })
                else { return nil }
                written += 1
            }
            return (zero, written)
        }
    }

    static func boot(_ disk: URL, _ commandLine: String) throws -> GuestRun {
        try GuestRun.boot(guest: "virtio_bench.elf", commandLine: commandLine, timeout: 60) {
            $0.drives = [DriveConfiguration(path: disk.path)]
        }
    }

    @Test func completesChecksItsDataAndCostsNoExitsPerRequest() throws {
        let disk = try Self.makeDisk(blocks: 512)
        defer { try? FileManager.default.removeItem(at: disk) }
        let requests = 3000
        let idle = try Self.boot(disk, "requests=0 depth=16")
        let run = try Self.boot(disk, "requests=\(requests) depth=16 writes=50")
        for result in [idle, run] {
            #expect(result.reason == .debugExit(status: 1), "\(result.output)")
            #expect(result.output.hasSuffix("bench: PASS\n"), "\(result.output)")
            #expect(result.output.contains("bench: virtio-blk at 0xd0000000 (cmdline)\n"))
        }
        #expect(run.output.contains("bench: requests 000000003000 reads "))
        #expect(run.output.contains("bench: disk 000000000512 blocks of 4 KiB, using 000000000512\n"))
        // Blocks written in this run were read back with exactly what was written.
        #expect(run.output.contains("), readback 064\n"), "\(run.output)")
        let reads = try #require(run.output.firstMatch(of: /bench: requests \d+ reads (\d+) writes (\d+)/))
        #expect(Int(reads.1).map { $0 > requests / 4 } == true)
        #expect(Int(reads.2).map { $0 > requests / 4 } == true)

        // The host file holds the guest's writes: every block zero or a whole pattern.
        let blocks = try #require(try Self.classify(disk), "a block of the disk is neither zero nor a written pattern")
        #expect(blocks.written > 100)

        // The serial output has the same length in both runs, so the difference is
        // the request loop's: under 0.05 exits to user space per request (the
        // target; by design 0), and no MMIO exit beyond the set-up's.
        #expect(run.output.count == idle.output.count)
        let extra = Int(run.report.totalExits) - Int(idle.report.totalExits)
        #expect(extra * 20 < requests, "\(extra) more exits to user space for \(requests) requests")
        #expect(run.exits(.mmioRead) + run.exits(.mmioWrite) == idle.exits(.mmioRead) + idle.exits(.mmioWrite))
        #expect(idle.exits(.mmioRead) + idle.exits(.mmioWrite) < 100)
    }

    @Test func readOnlyWorkloadLeavesTheDiskUnchanged() throws {
        let disk = try Self.makeDisk(blocks: 256)
        defer { try? FileManager.default.removeItem(at: disk) }
        let run = try Self.boot(disk, "requests=1000 depth=32 writes=0")
        #expect(run.reason == .debugExit(status: 1), "\(run.output)")
        #expect(run.output.contains("bench: requests 000000001000 reads 000000001000 writes 000000000000\n"))
        #expect(run.output.contains("bench: checked 000000001000 reads (000000000000 of blocks written in this run)"))
        #expect(run.output.hasSuffix("bench: PASS\n"))
        #expect(try Data(contentsOf: disk) == Data(count: 256 * Self.blockSize))
    }

    /// The data check is live: a disk whose blocks are neither zero nor a pattern
    /// fails the first read (exit value 7).
    @Test func detectsDataItCannotExplain() throws {
        let disk = try Self.makeDisk(blocks: 256, fill: 0x5A)
        defer { try? FileManager.default.removeItem(at: disk) }
        let run = try Self.boot(disk, "requests=200 writes=0")
        #expect(run.reason == .debugExit(status: 15), "\(run.output)")
        #expect(run.output.hasSuffix("bench: FAIL: read returned data that is not what the block holds\n"))
    }

    /// The same binary finds QEMU microvm's virtio-blk by scanning its windows and
    /// passes there too (Benchmarks/blk.py runs it under both).
    @Test(.enabled(if: Environment.qemuPath != nil, "needs qemu-system-x86_64"))
    func passesUnderQEMU() throws {
        let qemu = try #require(Environment.qemuPath)
        let disk = try Self.makeDisk(blocks: 256)
        defer { try? FileManager.default.removeItem(at: disk) }
        let result = Environment.run([
            qemu, "-M", "microvm,x-option-roms=on,rtc=off,pit=off,pic=off", "-accel", "kvm", "-m", "64",
            "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-global", "virtio-mmio.force-legacy=false",
            "-drive", "id=d0,file=\(disk.path),format=raw,if=none", "-device", "virtio-blk-device,drive=d0",
            "-kernel", try Environment.guest("virtio_bench.elf"), "-append", "requests=1000 depth=8",
        ], timeout: 60)
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains(" (scan)\n"))
        #expect(result.stdout.contains("bench: requests 000000001000 reads "))
        #expect(result.stdout.hasSuffix("bench: PASS\n"), "\(result.stdout)")
        #expect(try Self.classify(disk).map { $0.written > 0 } == true)
    }

    @Test func refusesABadCommandLine() throws {
        let disk = try Self.makeDisk(blocks: 256)
        defer { try? FileManager.default.removeItem(at: disk) }
        let run = try Self.boot(disk, "depth=86")
        #expect(run.reason == .debugExit(status: 5), "\(run.output)")
        #expect(run.output.contains("bench: FAIL: bad command line"))
    }
}
