import Memory

/// The multiboot information structure handed to the kernel in EBX, built as the
/// bytes of the `BootLayout.bootInfo` page: the fixed part, then the memory map, then
/// the boot loader name. The command line has its own page, `BootLayout.commandLine`.
struct MultibootInfo {
    /// `flags` bits for the fields we fill in.
    static let memoryFlag: UInt32 = 1 << 0
    static let commandLineFlag: UInt32 = 1 << 2
    static let memoryMapFlag: UInt32 = 1 << 6
    static let bootLoaderNameFlag: UInt32 = 1 << 9

    /// Field offsets in the fixed part (Multiboot Specification 0.6.96, section 3.3).
    enum Offset {
        static let flags = 0
        static let memLower = 4
        static let memUpper = 8
        static let cmdline = 16
        static let mmapLength = 44
        static let mmapAddress = 48
        static let bootLoaderName = 64
    }

    /// The fixed part is 116 bytes (through the framebuffer fields); the map follows it.
    static let memoryMapOffset = 0x80
    /// Each mmap entry is a 4-byte size field (20) and 20 bytes of base, length, type.
    static let memoryMapEntrySize = 24
    static let bootLoaderName = "swift-vmm"

    var lowerMemoryKiB: UInt32
    var upperMemoryKiB: UInt32
    var memoryMap: [MemoryMapEntry]

    init(memory: GuestMemory, acpiTables: GuestRange? = nil) {
        lowerMemoryKiB = MemoryMap.lowerMemoryKiB(memory)
        upperMemoryKiB = MemoryMap.upperMemoryKiB(memory)
        memoryMap = MemoryMap.pc(for: memory, acpiTables: acpiTables)
    }

    /// The bootInfo page. Fails only if the memory map cannot fit in the page.
    func bytes() throws(LoaderError) -> [UInt8] {
        let page = BootLayout.bootInfo
        let base = UInt32(truncatingIfNeeded: page.start.rawValue)
        let mapLength = memoryMap.count * Self.memoryMapEntrySize
        let nameOffset = Self.memoryMapOffset + mapLength
        let name = Array(Self.bootLoaderName.utf8) + [0]
        guard nameOffset + name.count <= Int(page.size) else {
            throw .outsideMemory(what: "multiboot memory map of \(memoryMap.count) entries",
                                 range: GuestRange(start: page.start, size: UInt64(nameOffset + name.count)))
        }
        var bytes = [UInt8](repeating: 0, count: nameOffset + name.count)
        let flags = Self.memoryFlag | Self.commandLineFlag | Self.memoryMapFlag | Self.bootLoaderNameFlag
        bytes.storeLittleEndian(flags, at: Offset.flags)
        bytes.storeLittleEndian(lowerMemoryKiB, at: Offset.memLower)
        bytes.storeLittleEndian(upperMemoryKiB, at: Offset.memUpper)
        bytes.storeLittleEndian(UInt32(truncatingIfNeeded: BootLayout.commandLine.start.rawValue), at: Offset.cmdline)
        bytes.storeLittleEndian(UInt32(mapLength), at: Offset.mmapLength)
        bytes.storeLittleEndian(base + UInt32(Self.memoryMapOffset), at: Offset.mmapAddress)
        bytes.storeLittleEndian(base + UInt32(nameOffset), at: Offset.bootLoaderName)
        for (index, entry) in memoryMap.enumerated() {
            let offset = Self.memoryMapOffset + index * Self.memoryMapEntrySize
            // `size` counts the bytes after itself, so a kernel can skip unknown fields.
            bytes.storeLittleEndian(UInt32(Self.memoryMapEntrySize - 4), at: offset)
            bytes.storeLittleEndian(entry.base.rawValue, at: offset + 4)
            bytes.storeLittleEndian(entry.length, at: offset + 12)
            bytes.storeLittleEndian(entry.kind.rawValue, at: offset + 20)
        }
        bytes.store(name, at: nameOffset)
        return bytes
    }
}
