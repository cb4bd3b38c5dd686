import Loader
import Memory

// Helpers that craft guest images byte by byte, so every test states exactly which
// header fields it sets and which one it breaks.

extension [UInt8] {
    /// Stores `value` little-endian at `offset`, growing the array if needed.
    mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        let width = MemoryLayout<T>.size
        if count < offset + width { append(contentsOf: [UInt8](repeating: 0, count: offset + width - count)) }
        for index in 0..<width { self[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }

    /// Copies `bytes` to `offset`, growing the array if needed.
    mutating func put(_ bytes: [UInt8], at offset: Int) {
        if count < offset + bytes.count { append(contentsOf: [UInt8](repeating: 0, count: offset + bytes.count - count)) }
        replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }

    func u32(at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(self[offset + $1]) << (8 * $1) }
    }
}

/// A PT_LOAD segment for the ELF builders.
struct TestSegment {
    var physicalAddress: UInt64
    var virtualAddress: UInt64
    var data: [UInt8]
    var memorySize: UInt64
    var type: UInt32 = 1

    init(at physicalAddress: UInt64, virtual: UInt64? = nil, data: [UInt8], memorySize: UInt64? = nil, type: UInt32 = 1) {
        self.physicalAddress = physicalAddress
        self.virtualAddress = virtual ?? physicalAddress
        self.data = data
        self.memorySize = memorySize ?? UInt64(data.count)
        self.type = type
    }
}

/// Byte patterns that are easy to recognise in guest memory.
func pattern(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) | 1 }
}

enum ELFBuilder {
    /// Segment data starts here, after the headers.
    static let dataStart = 0x100

    /// Field offsets the tests patch.
    enum Field32 { static let phoff = 28, phentsize = 42, phnum = 44 }
    enum Field64 { static let phoff = 32, phentsize = 54, phnum = 56 }

    static func elf32(entry: UInt32, segments: [TestSegment], machine: UInt16 = 3) -> [UInt8] {
        var image = identification(class: 1)
        image.put(UInt16(2), at: 16)            // e_type EXEC
        image.put(machine, at: 18)
        image.put(UInt32(1), at: 20)            // e_version
        image.put(entry, at: 24)
        image.put(UInt32(52), at: 28)           // e_phoff
        image.put(UInt16(52), at: 40)           // e_ehsize
        image.put(UInt16(0), at: 50)            // e_shstrndx: the header is 52 bytes
        image.put(UInt16(32), at: 42)           // e_phentsize
        image.put(UInt16(segments.count), at: 44)
        var dataOffset = dataStart
        for (index, segment) in segments.enumerated() {
            let header = 52 + index * 32
            image.put(segment.type, at: header)
            image.put(UInt32(dataOffset), at: header + 4)
            image.put(UInt32(truncatingIfNeeded: segment.virtualAddress), at: header + 8)
            image.put(UInt32(truncatingIfNeeded: segment.physicalAddress), at: header + 12)
            image.put(UInt32(segment.data.count), at: header + 16)
            image.put(UInt32(truncatingIfNeeded: segment.memorySize), at: header + 20)
            image.put(segment.data, at: dataOffset)
            dataOffset += (segment.data.count + 15) & ~15
        }
        return image
    }

    static func elf64(entry: UInt64, segments: [TestSegment], machine: UInt16 = 62) -> [UInt8] {
        var image = identification(class: 2)
        image.put(UInt16(2), at: 16)
        image.put(machine, at: 18)
        image.put(UInt32(1), at: 20)
        image.put(entry, at: 24)
        image.put(UInt64(64), at: 32)           // e_phoff
        image.put(UInt16(64), at: 52)           // e_ehsize
        image.put(UInt16(0), at: 62)            // e_shstrndx: the header is 64 bytes
        image.put(UInt16(56), at: 54)           // e_phentsize
        image.put(UInt16(segments.count), at: 56)
        var dataOffset = dataStart + 0x100
        for (index, segment) in segments.enumerated() {
            let header = 64 + index * 56
            image.put(segment.type, at: header)
            image.put(UInt32(5), at: header + 4)  // p_flags R+X
            image.put(UInt64(dataOffset), at: header + 8)
            image.put(segment.virtualAddress, at: header + 16)
            image.put(segment.physicalAddress, at: header + 24)
            image.put(UInt64(segment.data.count), at: header + 32)
            image.put(segment.memorySize, at: header + 40)
            image.put(segment.data, at: dataOffset)
            dataOffset += (segment.data.count + 15) & ~15
        }
        return image
    }

    private static func identification(class elfClass: UInt8) -> [UInt8] {
        var image: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, elfClass, 1, 1]
        image.put(UInt8(0), at: 15)
        return image
    }
}

/// The a.out-kludge fields of a multiboot header (flags bit 16).
struct MultibootAddresses {
    var headerAddress: UInt32
    var loadAddress: UInt32
    var loadEndAddress: UInt32 = 0
    var bssEndAddress: UInt32 = 0
    var entryAddress: UInt32
}

enum MultibootBuilder {
    static let magic: UInt32 = 0x1BAD_B002

    /// A multiboot header; `checksum` defaults to the valid one.
    static func header(flags: UInt32, checksum: UInt32? = nil, addresses: MultibootAddresses? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.put(magic, at: 0)
        bytes.put(flags, at: 4)
        bytes.put(checksum ?? (0 &- magic &- flags), at: 8)
        if let addresses {
            bytes.put(addresses.headerAddress, at: 12)
            bytes.put(addresses.loadAddress, at: 16)
            bytes.put(addresses.loadEndAddress, at: 20)
            bytes.put(addresses.bssEndAddress, at: 24)
            bytes.put(addresses.entryAddress, at: 28)
        }
        return bytes
    }

    /// A raw (non-ELF) kernel of `size` bytes with an a.out-kludge header at
    /// `headerOffset`, loaded so that file offset `loadOffset` lands at `loadAddress`.
    static func aout(size: Int = 0x800, headerOffset: Int = 0x40, loadOffset: Int = 0, loadAddress: UInt32 = 0x10_0000,
                     loadEnd: UInt32 = 0, bssEnd: UInt32 = 0, entryOffset: UInt32 = 0x100, flags: UInt32 = 0x1_0003,
                     checksum: UInt32? = nil) -> [UInt8] {
        var image = pattern(size, seed: 3)
        let headerAddress = loadAddress + UInt32(headerOffset - loadOffset)
        let addresses = MultibootAddresses(headerAddress: headerAddress, loadAddress: loadAddress,
                                           loadEndAddress: loadEnd, bssEndAddress: bssEnd,
                                           entryAddress: loadAddress + entryOffset)
        image.put(header(flags: flags, checksum: checksum, addresses: addresses), at: headerOffset)
        return image
    }
}

/// 64 MiB of PC guest RAM without huge pages (tests map many of these).
func testMemory(_ size: UInt64 = 64 << 20) throws -> GuestMemory {
    try GuestMemory(pcRAMSize: size, hugePages: false)
}

/// The error a load throws, or nil if it succeeds.
func loadError(_ image: [UInt8], memory: GuestMemory? = nil, options: LoadOptions = LoadOptions()) throws
    -> LoaderError?
{
    let memory = try memory ?? testMemory()
    do {
        _ = try ImageLoader.load(image, into: memory, options: options)
        return nil
    } catch {
        return error
    }
}

extension LoaderError {
    /// The field an `.invalidField` names.
    var field: String? {
        if case .invalidField(_, let field, _, _) = self { return field }
        return nil
    }

    /// The structure an `.overlapsBootStructure` names.
    var overlappedStructure: String? {
        if case .overlapsBootStructure(_, _, let structure, _) = self { return structure }
        return nil
    }

    var isTruncated: Bool {
        if case .truncated = self { return true }
        return false
    }

    var isOutsideMemory: Bool {
        if case .outsideMemory = self { return true }
        return false
    }
}
