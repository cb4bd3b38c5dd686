import Loader
import Memory

/// Fuzzes the image loaders: `ImageLoader.detect`, then `ImageLoader.load` into a
/// 32 MiB PC guest memory (mapped lazily, so only what a load writes is touched).
///
/// The first byte picks the options: bits 0-1 flat mode (0: not flat, 1 real,
/// 2 protected, 3 long; a flat load then takes its address as a UInt32), bit 2 an
/// initrd (4 KiB), bit 3 a command line longer than any limit, bit 4 an image
/// name, bits 5-6 the boot protocol (auto, PVH, Linux), bit 7 two modules (one
/// 1 MiB, one with a long string) and the ACPI placement at 0xE0000. The rest is
/// the image.
public enum LoaderFuzzTarget {
    static let memorySize: UInt64 = 32 << 20
    static let modes: [CPUMode?] = [nil, .real, .protected, .long]
    static let protocols: [BootProtocol] = [.auto, .pvh, .linux]

    /// Returns 1 when the image loaded, else 0.
    @discardableResult
    public static func run(_ data: [UInt8]) -> Int {
        var input = FuzzInput(data)
        let flags = input.byte()
        var options = LoadOptions(commandLine: "console=ttyS0 panic=-1")
        if let mode = modes[Int(flags & 3)] {
            options.flat = FlatImageOptions(address: GuestAddress(UInt64(input.integer(UInt32.self))), mode: mode)
        }
        if flags & 4 != 0 { options.initrd = [UInt8](repeating: 0x5A, count: 4096) }
        if flags & 8 != 0 { options.commandLine = String(repeating: "x", count: 5000) }
        if flags & 16 != 0 { options.imageName = "kernel.elf" }
        options.bootProtocol = protocols[Int(flags >> 5 & 3) % protocols.count]
        if flags & 128 != 0 {
            options.modules = [BootModule(bytes: [UInt8](repeating: 1, count: 1 << 20), string: "big"),
                               BootModule(bytes: [2], string: String(repeating: "m", count: 3000))]
            options.acpi = ACPIPlacement(rsdp: GuestAddress(0xE_0000),
                                         tables: GuestRange(start: GuestAddress(0xE_0000), size: 0x1_0000))
        }
        let image = input.rest()
        _ = ImageLoader.detect(image, flat: false, bootProtocol: options.bootProtocol)
        guard let memory = try? GuestMemory(pcRAMSize: memorySize, hugePages: false) else { return 0 }
        return (try? ImageLoader.load(image, into: memory, options: options)) == nil ? 0 : 1
    }
}
