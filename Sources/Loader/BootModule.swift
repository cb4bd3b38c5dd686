/// A file handed to a multiboot or PVH kernel beside it (a "module"): loaded
/// page-aligned after the kernel and listed in the multiboot information
/// (`mods_addr`) or in `hvm_start_info.modlist_paddr`.
public struct BootModule: Sendable, Equatable {
    /// The file's bytes.
    public var bytes: [UInt8]
    /// The module's string as the guest sees it; by convention (GRUB, QEMU) the
    /// file's path followed by its arguments.
    public var string: String

    public init(bytes: [UInt8], string: String) {
        self.bytes = bytes
        self.string = string
    }
}

/// Which entry point to use for an ELF image that offers more than one.
public enum BootProtocol: String, Sendable, CaseIterable, Equatable {
    /// PVH when the image has a Xen `XEN_ELFNOTE_PHYS32_ENTRY` note (as cloud-hypervisor
    /// chooses), else the Linux 64-bit boot protocol for a vmlinux, else by the format.
    case auto
    /// The PVH entry: 32-bit protected mode at the note's address, EBX = `hvm_start_info`.
    /// The image must carry the note.
    case pvh
    /// The Linux 64-bit boot protocol (zero page in RSI); for a vmlinux, never PVH.
    case linux
}
