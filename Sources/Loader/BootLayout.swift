import Memory

/// Where the VMM puts its own boot structures in low guest memory.
///
/// All of them live in `[0x500, 0xA000)`, above the real-mode interrupt vector
/// table and BIOS data area and well below 640 KiB. An image that would overlap
/// one of the structures a boot needs is rejected (`LoaderError.overlapsBootStructure`).
/// Real-mode flat images need none of them.
public enum BootLayout {
    /// The GDT: null, code32, data32, code64, data64 (5 entries).
    public static let gdt = GuestRange(start: GuestAddress(0x500), size: 0x40)
    /// Identity page tables for long mode: PML4 at 0x1000, PDPT at 0x2000, four
    /// page directories at 0x3000-0x6FFF mapping the first 4 GiB with 2 MiB pages.
    public static let pageTables = GuestRange(start: GuestAddress(0x1000), size: 0x6000)
    public static let pml4 = GuestAddress(0x1000)
    public static let pdpt = GuestAddress(0x2000)
    public static let pageDirectories = GuestAddress(0x3000)
    /// The boot information block: the multiboot information, or the Linux zero page.
    public static let bootInfo = GuestRange(start: GuestAddress(0x7000), size: 0x1000)
    /// The command line, NUL-terminated: at most 4095 characters.
    public static let commandLine = GuestRange(start: GuestAddress(0x8000), size: 0x1000)
    /// The initial stack: RSP/ESP starts at the top of this page.
    public static let stack = GuestRange(start: GuestAddress(0x9000), size: 0x1000)

    /// Selectors of the GDT entries.
    public static let codeSelector32: UInt16 = 0x08
    public static let dataSelector32: UInt16 = 0x10
    public static let codeSelector64: UInt16 = 0x18
    public static let dataSelector64: UInt16 = 0x20

    /// Flat 4 GiB 32-bit code segment.
    public static let flatCode32 = Segment(selector: codeSelector32, base: 0, limit: 0xFFFF_FFFF, type: 0xB,
                                           db: true, long: false, granularity: true)
    /// Flat 4 GiB 32-bit data segment.
    public static let flatData32 = Segment(selector: dataSelector32, base: 0, limit: 0xFFFF_FFFF, type: 0x3,
                                           db: true, long: false, granularity: true)
    /// 64-bit code segment.
    public static let code64 = Segment(selector: codeSelector64, base: 0, limit: 0xFFFF_FFFF, type: 0xB,
                                       db: false, long: true, granularity: true)
    /// 64-bit data segment.
    public static let data64 = Segment(selector: dataSelector64, base: 0, limit: 0xFFFF_FFFF, type: 0x3,
                                       db: true, long: false, granularity: true)

    /// Where a bzImage's protected-mode kernel is loaded: 1 MiB, as QEMU and GRUB do.
    public static let linuxKernel = GuestAddress(0x10_0000)
    /// The Linux boot protocol's `__BOOT_CS` and `__BOOT_DS`: the 64-bit entry wants
    /// CS = 0x10 and DS = ES = SS = 0x18, so Linux boots get their own GDT layout:
    /// null, code32 (0x08), code64 (0x10), data (0x18).
    public static let linuxCodeSelector: UInt16 = 0x10
    public static let linuxDataSelector: UInt16 = 0x18
    /// The 64-bit code segment of a Linux boot (`__BOOT_CS`).
    public static let linuxCode64 = Segment(selector: linuxCodeSelector, base: 0, limit: 0xFFFF_FFFF, type: 0xB,
                                            db: false, long: true, granularity: true)
    /// The flat data segment of a Linux boot (`__BOOT_DS`).
    public static let linuxData = Segment(selector: linuxDataSelector, base: 0, limit: 0xFFFF_FFFF, type: 0x3,
                                          db: true, long: false, granularity: true)
}
