import Foundation
import Loader
import Memory
import Testing

/// Real kernels, when the machine has them: Debian's 6.1 bzImage and its extracted
/// vmlinux as scripts/fetch-linux.sh leaves them (the integration tests run it), or
/// the files `SWIFT_VMM_LINUX_BZIMAGE` and `SWIFT_VMM_LINUX_VMLINUX` name. Skipped,
/// with the reason, when the files are missing.
enum RealKernel {
    static let debianBzImage = "/tmp/swift-vmm-linux/vmlinuz"
    static let debianVmlinux = "/tmp/swift-vmm-linux/vmlinux"

    static var bzImagePath: String? { path(environment: "SWIFT_VMM_LINUX_BZIMAGE", default: debianBzImage) }
    static var vmlinuxPath: String? { path(environment: "SWIFT_VMM_LINUX_VMLINUX", default: debianVmlinux) }

    static func path(environment name: String, default path: String) -> String? {
        let chosen = ProcessInfo.processInfo.environment[name] ?? path
        guard FileManager.default.isReadableFile(atPath: chosen) else {
            print("skipping: no readable kernel at \(chosen) (set \(name) to a kernel file to run this test)")
            return nil
        }
        return chosen
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

@Suite struct RealKernelTests {
    @Test(.enabled(if: RealKernel.bzImagePath != nil, "no bzImage: set SWIFT_VMM_LINUX_BZIMAGE"))
    func realBzImageHeader() throws {
        guard let path = RealKernel.bzImagePath else { return }
        let image = try RealKernel.read(path)
        #expect(ImageLoader.detect(image, flat: false) == .bzImage)
        let header = try LinuxSetupHeader(parsing: image)
        #expect(header.version >= 0x020C)
        #expect(header.extendedLoadFlags & LinuxSetupHeader.kernel64 != 0)
        #expect(header.loadFlags & LinuxSetupHeader.loadedHigh != 0)
        #expect(header.initSize > UInt32(header.kernelSize))
        #expect(header.kernelVersion != nil)
        print("\(path): protocol \(header.version >> 8).\(header.version & 0xFF), "
              + "init_size 0x\(String(header.initSize, radix: 16)), \(header.kernelVersion ?? "no version string")")
        if path == RealKernel.debianBzImage {
            #expect(header.version == 0x020F)
            #expect(header.setupSectors == 39)
            #expect(header.relocatable)
            #expect(header.kernelAlignment == 0x20_0000)
            #expect(header.commandLineSize == 2047)
            #expect(header.initrdAddressMax == 0x7FFF_FFFF)
            #expect(header.preferredAddress == 0x100_0000)
            #expect(header.code32Start == 0x10_0000)
            #expect(header.bytes.count == 0x26C - 0x1F1)
            #expect(header.kernelVersion?.hasPrefix("6.1.0-") == true)
        }
    }

    @Test(.enabled(if: RealKernel.bzImagePath != nil, "no bzImage: set SWIFT_VMM_LINUX_BZIMAGE"))
    func realBzImageLoadsWithAnInitrd() throws {
        guard let path = RealKernel.bzImagePath else { return }
        let image = try RealKernel.read(path)
        let header = try LinuxSetupHeader(parsing: image)
        let memory = try testMemory(256 << 20)
        let options = LoadOptions(commandLine: "console=ttyS0 earlyprintk=serial", initrd: pattern(0x10_0000))
        let plan = try ImageLoader.load(image, into: memory, options: options)
        #expect(plan.instructionPointer == 0x10_0200)
        #expect(plan.format == .bzImage)
        let decompression = try header.decompressionRange(loadedAt: BootLayout.linuxKernel)
        let initrd = try #require(plan.initrd)
        #expect(!initrd.overlaps(decompression))
        #expect(initrd.end == 256 << 20)
        #expect(try memory.read(at: GuestAddress(0x10_0000), count: 0x1000) == Array(image[header.kernelFileRange].prefix(0x1000)))
        let page = try ZeroPageReader(memory)
        #expect(page.u16(0x206) == header.version)
        #expect(UInt64(page.u32(0x218)) == initrd.start.rawValue)
    }

    @Test(.enabled(if: RealKernel.vmlinuxPath != nil, "no vmlinux: set SWIFT_VMM_LINUX_VMLINUX"))
    func realVmlinuxIsBootedWithTheLinuxProtocol() throws {
        guard let path = RealKernel.vmlinuxPath else { return }
        let image = try RealKernel.read(path)
        #expect(ImageLoader.detect(image, flat: false, bootProtocol: .linux) == .linuxELF)
        let memory = try testMemory(256 << 20)
        let plan = try ImageLoader.load(image, into: memory,
                                        options: LoadOptions(commandLine: "console=ttyS0", bootProtocol: .linux))
        #expect(plan.format == .linuxELF)
        #expect(plan.registers.rsi == 0x7000)
        #expect(plan.codeSegment.selector == 0x10)
        if path == RealKernel.debianVmlinux {
            #expect(plan.instructionPointer == 0x100_0000)
            #expect(plan.imageRanges.count == 4)
            #expect(plan.imageRanges.first?.start == GuestAddress(0x100_0000))
        }
    }

    @Test(.enabled(if: RealKernel.vmlinuxPath != nil, "no vmlinux: set SWIFT_VMM_LINUX_VMLINUX"))
    func realVmlinuxWithThePVHNoteIsBootedThroughPVH() throws {
        guard let path = RealKernel.vmlinuxPath else { return }
        let image = try RealKernel.read(path)
        guard ImageLoader.detect(image, flat: false) == .pvh else {
            print("skipping: \(path) has no XEN_ELFNOTE_PHYS32_ENTRY note (built without CONFIG_PVH)")
            return
        }
        let memory = try testMemory(256 << 20)
        let plan = try ImageLoader.load(image, into: memory, options: LoadOptions(commandLine: "console=ttyS0"))
        #expect(plan.format == .pvh)
        #expect(plan.mode == .protected)
        #expect(plan.registers.rbx == 0x7000)
        #expect(try memory.load(UInt32.self, at: GuestAddress(0x7000)) == 0x336E_C578)
        // The entry lies in the first segment (the kernel's text at 16 MiB).
        let text = try #require(plan.imageRanges.first)
        #expect(text.contains(GuestAddress(plan.instructionPointer)))
    }
}
