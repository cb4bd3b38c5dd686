import Foundation
import Testing
import VMM

/// A hostile virtio driver (Guests/multiboot/virtio_hostile.c) against swift-vmm's
/// virtio-blk: looping chains, buffers outside RAM or wrapping past 2^64, a bad
/// QueueNum, a notification before QueueReady, features renegotiated after
/// DRIVER_OK and writes beyond the disk. Each must end safely (NEEDS_RESET, ignored
/// or IOERR), the VMM must keep running, the disk must be untouched, and after a
/// reset the device must work again (docs/virtio.md, "What a hostile or buggy
/// driver can do").
@Suite(requiresKVM) struct VirtioHostileTests {
    static let sectors = 64

    /// The guest's output for a disk whose first 32-bit little-endian word is `firstWord`.
    static func expectedOutput(firstWord: UInt32) -> String {
        """
        hostile: virtio-blk at 0xd0000000
        hostile: capacity \(sectors) sectors
        hostile: loop -> needs-reset
        hostile: buffer outside RAM -> needs-reset
        hostile: length overflow -> needs-reset
        hostile: queue size 3 -> needs-reset
        hostile: notify before ready -> ignored
        hostile: features after DRIVER_OK -> needs-reset
        hostile: request after renegotiation -> needs-reset
        hostile: write at sector capacity -> ioerr
        hostile: write across the end -> ioerr
        hostile: device still works, sector 0 starts \(VirtioGuestTests.hex(firstWord))
        hostile: PASS

        """
    }

    static func firstWord(_ data: Data) -> UInt32 {
        let b = [UInt8](data.prefix(4))
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    @Test func attacksEndSafelyAndTheDeviceStillWorks() throws {
        let disk = try VirtioGuestTests.makeDisk(sectors: Self.sectors)
        defer { try? FileManager.default.removeItem(at: disk) }
        let before = try Data(contentsOf: disk)
        let run = try GuestRun.boot(guest: "virtio_hostile.elf") {
            $0.drives = [DriveConfiguration(path: disk.path)]
        }
        // The run ended through the guest's own debug exit (status 1 = value 0), so
        // the VMM neither crashed nor hung on any attack.
        #expect(run.reason == .debugExit(status: 1), "\(run.output)")
        #expect(run.output == Self.expectedOutput(firstWord: Self.firstWord(before)), "\(run.output)")
        // Nothing was written, inside or beyond the image.
        #expect(try Data(contentsOf: disk) == before)
    }

    /// The same run through the `vmm` binary: each rejected attack is one warning
    /// line on stderr naming the device and the error.
    @Test func eachAttackIsLoggedOnce() throws {
        let path = try Environment.guest("virtio_hostile.elf")
        let disk = try VirtioGuestTests.makeDisk(sectors: Self.sectors)
        defer { try? FileManager.default.removeItem(at: disk) }
        let before = try Data(contentsOf: disk)
        let result = Environment.run([Environment.vmmBinary, "run", "--kernel", path, "--memory", "64M",
                                      "--drive", disk.path])
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("hostile: PASS\n"), "\(result.stdout)")
        let warnings = result.stderr.split(separator: "\n").filter {
            $0.contains("virtio-blk at 0xd0000000") && $0.contains("device needs reset")
        }
        let expected = [
            "chain from descriptor 0 is longer than 16 descriptors (a loop)",
            "descriptor 1: 512 bytes at 0xf0000000 are outside guest RAM",
            "descriptor 1: 4096 bytes at 0xfffffffffffffff0 wrap past 2^64",
            "queue size 3 is not a power of two",
            "DriverFeatures written after FEATURES_OK",
        ]
        #expect(warnings.count == expected.count, "\(result.stderr)")
        for (line, fragment) in zip(warnings, expected) {
            #expect(line.contains(fragment), "\(line)")
        }
        #expect(try Data(contentsOf: disk) == before)
    }
}
