import Memory

/// The multiboot information structure handed to the kernel in EBX, built as the
/// bytes of the `BootLayout.bootInfo` page: the fixed part, then the memory map, then
/// the boot loader name. The command line has its own page, `BootLayout.commandLine`.
struct MultibootInfo {
    /// `flags` bits for the fields we fill in.
    static let memoryFlag: UInt32 = 1 << 0
    static let commandLineFlag: UInt32 = 1 << 2
    static let modulesFlag: UInt32 = 1 << 3
    static let memoryMapFlag: UInt32 = 1 << 6
    static let bootLoaderNameFlag: UInt32 = 1 << 9

    /// Field offsets in the fixed part (Multiboot Specification 0.6.96, section 3.3).
    enum Offset {
        static let flags = 0
        static let memLower = 4
        static let memUpper = 8
        static let cmdline = 16
        static let modsCount = 20
        static let modsAddress = 24
        static let mmapLength = 44
        static let mmapAddress = 48
        static let bootLoaderName = 64
    }

    /// The fixed part is 116 bytes (through the framebuffer fields); the map follows it.
    static let memoryMapOffset = 0x80
    /// Each mmap entry is a 4-byte size field (20) and 20 bytes of base, length, type.
    static let memoryMapEntrySize = 24
    static let bootLoaderName = "swift-vmm"
    /// Each module entry: mod_start, mod_end, string, reserved.
    static let moduleEntrySize = 16

    /// A module as listed: where it was loaded and its string.
    typealias Module = ModulePlacement.Placed

    var lowerMemoryKiB: UInt32
    var upperMemoryKiB: UInt32
    var memoryMap: [MemoryMapEntry]
    /// Listed after the boot loader name (flags bit 3) when not empty.
    var modules: [Module]

    init(memory: GuestMemory, modules: [Module] = [], acpiTables: GuestRange? = nil) {
        lowerMemoryKiB = MemoryMap.lowerMemoryKiB(memory)
        upperMemoryKiB = MemoryMap.upperMemoryKiB(memory)
        memoryMap = MemoryMap.pc(for: memory, acpiTables: acpiTables)
        self.modules = modules
    }

    /// The bootInfo page. Fails if the memory map, or the module list and strings,
    /// cannot fit in the page.
    func bytes() throws(LoaderError) -> [UInt8] {
        var bytes = try fixedBytes()
        guard !modules.isEmpty else { return bytes }
        let base = UInt32(truncatingIfNeeded: BootLayout.bootInfo.start.rawValue)
        let listOffset = (bytes.count + 15) & ~15
        var stringOffset = listOffset + modules.count * Self.moduleEntrySize
        let strings = modules.map { Array($0.string.utf8) + [0] }
        let needed = stringOffset + strings.reduce(0) { $0 + $1.count }
        guard needed <= Int(BootLayout.bootInfo.size) else {
            throw .moduleListTooLarge(count: modules.count, needed: needed - listOffset,
                                      available: Int(BootLayout.bootInfo.size) - listOffset)
        }
        bytes += [UInt8](repeating: 0, count: needed - bytes.count)
        let flags = (bytes.littleEndian(UInt32.self, at: Offset.flags) ?? 0) | Self.modulesFlag
        bytes.storeLittleEndian(flags, at: Offset.flags)
        bytes.storeLittleEndian(UInt32(modules.count), at: Offset.modsCount)
        bytes.storeLittleEndian(base + UInt32(listOffset), at: Offset.modsAddress)
        for (index, module) in modules.enumerated() {
            let offset = listOffset + index * Self.moduleEntrySize
            // Module ranges were placed below 4 GiB.
            bytes.storeLittleEndian(UInt32(truncatingIfNeeded: module.range.start.rawValue), at: offset)
            bytes.storeLittleEndian(UInt32(truncatingIfNeeded: module.range.end), at: offset + 4)
            bytes.storeLittleEndian(base + UInt32(stringOffset), at: offset + 8)
            bytes.store(strings[index], at: stringOffset)
            stringOffset += strings[index].count
        }
        return bytes
    }

    /// The fixed part, the memory map and the boot loader name.
    private func fixedBytes() throws(LoaderError) -> [UInt8] {
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
