import Memory

/// The parts of an x86 ELF executable the loader uses: class, entry point and the
/// PT_LOAD program headers. Parsing validates every header field it relies on.
struct ELFFile {
    /// One PT_LOAD program header.
    struct Segment: Equatable {
        var index: Int
        var offset: UInt64
        var virtualAddress: UInt64
        var physicalAddress: UInt64
        var fileSize: UInt64
        var memorySize: UInt64
    }

    static let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]  // "\x7FELF"
    static let machine386: UInt16 = 3
    static let machineX86_64: UInt16 = 62
    static let typeLoad: UInt32 = 1

    /// `.elf32` or `.elf64`.
    var format: ImageFormat
    var entry: UInt64
    var segments: [Segment]

    /// Whether `image` starts with the ELF magic.
    static func hasMagic(_ image: [UInt8]) -> Bool { image.starts(with: magic) }

    /// The class an ELF image claims: `.elf64` for ELFCLASS64, `.elf32` otherwise
    /// (a bad class is then reported by `parse`).
    static func claimedFormat(_ image: [UInt8]) -> ImageFormat {
        image.count > 4 && image[4] == 2 ? .elf64 : .elf32
    }

    /// Parses and validates the ELF header and program headers of `image`.
    init(parsing image: [UInt8]) throws(LoaderError) {
        let format = Self.claimedFormat(image)
        let header = try Header(image, format: format)
        self.format = format
        self.entry = header.entry
        self.segments = try Self.loadSegments(image, header: header)
        guard !segments.isEmpty else {
            throw .invalidField(format: format, field: "e_phnum", value: UInt64(header.count),
                                reason: "no PT_LOAD program header with a non-zero p_memsz: nothing to load")
        }
    }

    /// The physical address of the entry point. `e_entry` is a virtual address: it is
    /// translated through the segment whose `[p_vaddr, p_vaddr + p_filesz)` holds it
    /// (identity for most images; a higher-half kernel linked with AT() gets its load
    /// address). Failing that, an entry already given as a physical address inside a
    /// segment is accepted, as GRUB does.
    func physicalEntry() throws(LoaderError) -> UInt64 {
        for segment in segments where entry >= segment.virtualAddress
            && entry - segment.virtualAddress < segment.fileSize {
            return segment.physicalAddress + (entry - segment.virtualAddress)
        }
        for segment in segments where entry >= segment.physicalAddress
            && entry - segment.physicalAddress < segment.fileSize {
            return entry
        }
        throw .invalidField(format: format, field: "e_entry", value: entry,
                            reason: "not inside the file bytes of any PT_LOAD segment")
    }

    /// The segments as image pieces placed at their physical addresses.
    func pieces() throws(LoaderError) -> [ImagePiece] {
        var pieces: [ImagePiece] = []
        for segment in segments {
            let what = "ELF segment \(segment.index)"
            let range = try guestRange(what, start: segment.physicalAddress, size: segment.memorySize)
            let start = Int(segment.offset)
            pieces.append(ImagePiece(what: what, destination: range.start,
                                     fileRange: start..<(start + Int(segment.fileSize)), memorySize: range.size))
        }
        return pieces
    }

    private static func loadSegments(_ image: [UInt8], header: Header) throws(LoaderError) -> [Segment] {
        let tableSize = UInt64(header.count) * UInt64(header.entrySize)
        _ = try fileRange("program header table", offset: header.tableOffset, length: tableSize, in: image)
        var segments: [Segment] = []
        for index in 0..<Int(header.count) {
            let offset = header.tableOffset + UInt64(index) * UInt64(header.entrySize)
            guard let segment = try header.programHeader(image, index: index, at: offset) else { continue }
            guard segment.fileSize <= segment.memorySize else {
                throw .invalidField(format: header.format, field: "p_filesz of segment \(index)",
                                    value: segment.fileSize,
                                    reason: "larger than its p_memsz \(hex(segment.memorySize))")
            }
            _ = try fileRange("ELF segment \(index)", offset: segment.offset, length: segment.fileSize, in: image)
            if segment.memorySize > 0 { segments.append(segment) }
        }
        return segments
    }
}

/// The ELF file header fields the loader uses, validated.
private struct Header {
    var format: ImageFormat
    var entry: UInt64
    var tableOffset: UInt64
    var entrySize: UInt16
    var count: UInt16

    init(_ image: [UInt8], format: ImageFormat) throws(LoaderError) {
        let is64 = format == .elf64
        let reader = FieldReader(image: image, what: "ELF header")
        // Read the last field first so that a short file is reported as truncated.
        _ = try reader.u16(is64 ? 62 : 50)
        try Self.checkIdentification(reader, format: format)
        let machine = try reader.u16(18)
        let expected = is64 ? ELFFile.machineX86_64 : ELFFile.machine386
        guard machine == expected else {
            throw .invalidField(format: format, field: "e_machine", value: UInt64(machine),
                                reason: is64 ? "a 64-bit image must be EM_X86_64 (62)" : "a 32-bit image must be EM_386 (3)")
        }
        let version = try reader.u32(20)
        guard version == 1 else {
            throw .invalidField(format: format, field: "e_version", value: UInt64(version), reason: "must be 1")
        }
        self.format = format
        entry = is64 ? try reader.u64(24) : UInt64(try reader.u32(24))
        tableOffset = is64 ? try reader.u64(32) : UInt64(try reader.u32(28))
        entrySize = try reader.u16(is64 ? 54 : 42)
        count = try reader.u16(is64 ? 56 : 44)
        let wanted: UInt16 = is64 ? 56 : 32
        guard entrySize == wanted || count == 0 else {
            throw .invalidField(format: format, field: "e_phentsize", value: UInt64(entrySize),
                                reason: "must be \(wanted) for this class")
        }
    }

    private static func checkIdentification(_ reader: FieldReader, format: ImageFormat) throws(LoaderError) {
        let elfClass = try reader.u8(4)
        guard elfClass == 1 || elfClass == 2 else {
            throw .invalidField(format: format, field: "EI_CLASS", value: UInt64(elfClass),
                                reason: "must be 1 (32-bit) or 2 (64-bit)")
        }
        let data = try reader.u8(5)
        guard data == 1 else {
            throw .invalidField(format: format, field: "EI_DATA", value: UInt64(data),
                                reason: "only little-endian (1) images run on x86")
        }
        let version = try reader.u8(6)
        guard version == 1 else {
            throw .invalidField(format: format, field: "EI_VERSION", value: UInt64(version), reason: "must be 1")
        }
    }

    /// The program header at `offset` if it is PT_LOAD, else nil. The table was
    /// already checked to lie inside the file.
    func programHeader(_ image: [UInt8], index: Int, at offset: UInt64) throws(LoaderError) -> ELFFile.Segment? {
        let reader = FieldReader(image: image, what: "program header \(index)")
        guard try reader.u32(offset) == ELFFile.typeLoad else { return nil }
        if format == .elf64 {
            return ELFFile.Segment(
                index: index, offset: try reader.u64(offset + 8), virtualAddress: try reader.u64(offset + 16),
                physicalAddress: try reader.u64(offset + 24), fileSize: try reader.u64(offset + 32),
                memorySize: try reader.u64(offset + 40))
        }
        return ELFFile.Segment(
            index: index, offset: UInt64(try reader.u32(offset + 4)),
            virtualAddress: UInt64(try reader.u32(offset + 8)), physicalAddress: UInt64(try reader.u32(offset + 12)),
            fileSize: UInt64(try reader.u32(offset + 16)), memorySize: UInt64(try reader.u32(offset + 20)))
    }
}
