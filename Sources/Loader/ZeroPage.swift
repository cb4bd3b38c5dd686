import Memory

/// The zero page (`struct boot_params`): what a 64-bit Linux kernel reads at RSI.
///
/// Built as the 4096 bytes of `BootLayout.bootInfo`: zeroed, the kernel's setup header
/// copied to 0x1F1, then the fields a boot loader fills in: type_of_loader, loadflags,
/// the command line and initrd addresses, the video mode and the E820 memory map.
struct ZeroPage {
    static let size = 4096
    /// The e820_table array holds 128 entries of 20 bytes.
    static let maximumE820Entries = 128
    static let e820EntrySize = 20
    /// type_of_loader 0xFF: "undefined", for a boot loader without an assigned ID.
    static let typeOfLoader: UInt8 = 0xFF
    /// vid_mode 0xFFFF: "normal" (80x25 text); there is no real-mode setup to ask.
    static let normalVideoMode: UInt16 = 0xFFFF

    /// The setup header bytes from 0x1F1: the image's, or one synthesized for a vmlinux.
    var header: [UInt8]
    var commandLine: GuestAddress
    var initrd: GuestRange?
    var memoryMap: [MemoryMapEntry]
    /// acpi_rsdp_addr: where the RSDP is, so the kernel need not scan for it.
    var rsdp: GuestAddress? = nil

    /// The boot loader keeps LOADED_HIGH and clears QUIET_FLAG (early messages are
    /// wanted), KEEP_SEGMENTS (obsolete) and CAN_USE_HEAP (no real-mode setup runs,
    /// so there is no heap_end_ptr to honour).
    static func loadFlags(from kernel: UInt8) -> UInt8 {
        (kernel & ~(LinuxSetupHeader.quietFlag | LinuxSetupHeader.keepSegments | LinuxSetupHeader.canUseHeap))
            | LinuxSetupHeader.loadedHigh
    }

    /// The page. Fails only if the memory map has more entries than the table holds.
    func bytes() throws(LoaderError) -> [UInt8] {
        typealias Offset = LinuxSetupHeader.Offset
        guard memoryMap.count <= Self.maximumE820Entries else {
            throw .outsideMemory(what: "E820 table of \(memoryMap.count) entries (the zero page holds "
                                 + "\(Self.maximumE820Entries))", range: BootLayout.bootInfo)
        }
        var page = [UInt8](repeating: 0, count: Self.size)
        page.store(header, at: Offset.setupSectors)
        page[Offset.typeOfLoader] = Self.typeOfLoader
        page[Offset.loadFlags] = Self.loadFlags(from: page[Offset.loadFlags])
        page.storeLittleEndian(Self.normalVideoMode, at: Offset.videoMode)
        // setup_data is a guest pointer to a linked list; none is passed.
        page.storeLittleEndian(UInt64(0), at: Offset.setupData)
        Self.storeSplit(commandLine.rawValue, low: Offset.commandLinePointer,
                        high: Offset.extendedCommandLinePointer, in: &page)
        Self.storeSplit(initrd?.start.rawValue ?? 0, low: Offset.ramdiskImage,
                        high: Offset.extendedRamdiskImage, in: &page)
        Self.storeSplit(initrd?.size ?? 0, low: Offset.ramdiskSize, high: Offset.extendedRamdiskSize, in: &page)
        page.storeLittleEndian(rsdp?.rawValue ?? 0, at: Offset.acpiRSDPAddress)
        page[Offset.e820Entries] = UInt8(memoryMap.count)
        for (index, entry) in memoryMap.enumerated() {
            let offset = Offset.e820Table + index * Self.e820EntrySize
            page.storeLittleEndian(entry.base.rawValue, at: offset)
            page.storeLittleEndian(entry.length, at: offset + 8)
            page.storeLittleEndian(entry.kind.rawValue, at: offset + 16)
        }
        return page
    }

    /// A 64-bit value as the header's 32-bit field plus its ext_ field for the high half.
    private static func storeSplit(_ value: UInt64, low: Int, high: Int, in page: inout [UInt8]) {
        page.storeLittleEndian(UInt32(truncatingIfNeeded: value), at: low)
        page.storeLittleEndian(UInt32(truncatingIfNeeded: value >> 32), at: high)
    }
}
