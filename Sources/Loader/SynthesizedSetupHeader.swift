/// The setup header a vmlinux gets in its zero page. A vmlinux has no header of its
/// own; the kernel entered at startup_64 reads the command line and initrd fields and
/// checks the version, so it gets the header of a modern 64-bit bzImage:
///
/// - boot_flag 0xAA55 and "HdrS", protocol 2.15 (0x020F, Linux 5.5 and later);
/// - type_of_loader 0xFF (set for every Linux boot by `ZeroPage`);
/// - loadflags LOADED_HIGH, the kernel running at its link address above 1 MiB;
/// - kernel_alignment 0x1000000 (16 MiB), the largest CONFIG_PHYSICAL_ALIGN x86_64
///   allows (so every kernel's alignment divides it) and what Firecracker passes; only
///   informational, since a vmlinux runs where it was loaded and nothing relocates it;
/// - cmdline_size 2047: x86's COMMAND_LINE_SIZE is 2048 with the NUL, so longer lines
///   would be cut by the kernel and are refused here instead;
/// - initrd_addr_max 0x7FFFFFFF, what x86_64 bzImages declare.
enum SynthesizedSetupHeader {
    static let version: UInt16 = 0x020F
    static let kernelAlignment: UInt32 = 0x100_0000
    static let commandLineSize: UInt32 = 2047
    static let initrdAddressMax: UInt32 = 0x7FFF_FFFF
    /// The header ends after kernel_info_offset (0x268-0x26B), the last 2.15 field;
    /// the jump at 0x200 says so, as in a real bzImage.
    static let end = 0x26C

    /// The header bytes from 0x1F1 to `end`.
    static func bytes() -> [UInt8] {
        typealias Offset = LinuxSetupHeader.Offset
        let base = Offset.setupSectors
        var header = [UInt8](repeating: 0, count: end - base)
        header.storeLittleEndian(LinuxSetupHeader.bootFlag, at: Offset.bootFlag - base)
        header[Offset.jump - base] = 0xEB  // jmp short, over the header
        header[Offset.jump + 1 - base] = UInt8(end - Offset.magic)
        header.storeLittleEndian(LinuxSetupHeader.magic, at: Offset.magic - base)
        header.storeLittleEndian(version, at: Offset.version - base)
        header[Offset.loadFlags - base] = LinuxSetupHeader.loadedHigh
        header.storeLittleEndian(initrdAddressMax, at: Offset.initrdAddressMax - base)
        header.storeLittleEndian(kernelAlignment, at: Offset.kernelAlignment - base)
        header.storeLittleEndian(commandLineSize, at: Offset.commandLineSize - base)
        return header
    }
}
