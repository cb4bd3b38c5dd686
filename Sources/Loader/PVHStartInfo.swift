import Memory

/// The `hvm_start_info` structure a PVH kernel finds at EBX (Xen's
/// public/arch-x86/hvm/start_info.h, version 1), built as the bytes of one page:
/// the structure, then the memory map (`hvm_memmap_table_entry`), then the module
/// list (`hvm_modlist_entry`), then the module strings. The command line has its own page.
struct PVHStartInfo {
    static let magic: UInt32 = 0x336E_C578
    static let version: UInt32 = 1
    /// `sizeof(struct hvm_start_info)`.
    static let size = 56
    static let memoryMapOffset = 0x40
    static let memoryMapEntrySize = 24
    static let moduleEntrySize = 32

    /// Field offsets in `hvm_start_info`.
    enum Offset {
        static let magic = 0
        static let version = 4
        static let flags = 8
        static let moduleCount = 12
        static let moduleList = 16
        static let commandLine = 24
        static let rsdp = 32
        static let memoryMap = 40
        static let memoryMapEntries = 48
    }

    /// A module as listed: where it was loaded and its string.
    typealias Module = ModulePlacement.Placed

    var page: GuestRange
    var commandLine: GuestAddress
    var rsdp: UInt64
    var memoryMap: [MemoryMapEntry]
    var modules: [Module]

    /// The page's bytes; fails if the map, list and strings do not fit in the page.
    func bytes() throws(LoaderError) -> [UInt8] {
        let base = page.start.rawValue
        let mapEnd = Self.memoryMapOffset + memoryMap.count * Self.memoryMapEntrySize
        let listOffset = (mapEnd + 7) & ~7
        var stringOffset = listOffset + modules.count * Self.moduleEntrySize
        let strings = modules.map { Array($0.string.utf8) + [0] }
        let needed = stringOffset + strings.reduce(0) { $0 + $1.count }
        guard needed <= Int(page.size) else {
            throw .moduleListTooLarge(count: modules.count, needed: needed - listOffset,
                                      available: Int(page.size) - listOffset)
        }
        var bytes = [UInt8](repeating: 0, count: needed)
        bytes.storeLittleEndian(Self.magic, at: Offset.magic)
        bytes.storeLittleEndian(Self.version, at: Offset.version)
        bytes.storeLittleEndian(UInt32(modules.count), at: Offset.moduleCount)
        bytes.storeLittleEndian(modules.isEmpty ? 0 : base + UInt64(listOffset), at: Offset.moduleList)
        bytes.storeLittleEndian(commandLine.rawValue, at: Offset.commandLine)
        bytes.storeLittleEndian(rsdp, at: Offset.rsdp)
        bytes.storeLittleEndian(base + UInt64(Self.memoryMapOffset), at: Offset.memoryMap)
        bytes.storeLittleEndian(UInt32(memoryMap.count), at: Offset.memoryMapEntries)
        for (index, entry) in memoryMap.enumerated() {
            let offset = Self.memoryMapOffset + index * Self.memoryMapEntrySize
            bytes.storeLittleEndian(entry.base.rawValue, at: offset)
            bytes.storeLittleEndian(entry.length, at: offset + 8)
            bytes.storeLittleEndian(entry.kind.rawValue, at: offset + 16)
        }
        for (index, module) in modules.enumerated() {
            let offset = listOffset + index * Self.moduleEntrySize
            bytes.storeLittleEndian(module.range.start.rawValue, at: offset)
            bytes.storeLittleEndian(module.range.size, at: offset + 8)
            bytes.storeLittleEndian(base + UInt64(stringOffset), at: offset + 16)
            bytes.store(strings[index], at: stringOffset)
            stringOffset += strings[index].count
        }
        return bytes
    }
}
