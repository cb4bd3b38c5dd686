import Memory

/// A multiboot (version 1) header and, when flags bit 16 is set, the a.out-kludge
/// address fields that say where to load the file. Layout and rules follow the
/// Multiboot Specification 0.6.96, section 3.1.
struct MultibootHeader {
    static let magic: UInt32 = 0x1BAD_B002
    /// Handed to the kernel in EAX.
    static let bootloaderMagic: UInt32 = 0x2BAD_B002
    /// The header must start in the first 8192 bytes, 4-byte aligned.
    static let searchLimit = 8192
    /// magic, flags, checksum.
    static let minimumSize = 12

    /// Flags bits 0 (page-align modules), 1 (memory information) and 2 (video mode,
    /// ignored as QEMU does) are the required features we accept; bits 3-15 are not.
    static let supportedRequiredFlags: UInt32 = 0b111
    static let requiredFlagsMask: UInt32 = 0xFFFF
    static let addressFieldsFlag: UInt32 = 1 << 16

    /// The a.out-kludge fields: physical addresses.
    struct AddressFields {
        var headerAddress: UInt32
        var loadAddress: UInt32
        var loadEndAddress: UInt32
        var bssEndAddress: UInt32
        var entryAddress: UInt32
    }

    /// File offset of the magic.
    var offset: Int
    var flags: UInt32
    var addressFields: AddressFields?

    /// The file offset of the header: the first aligned magic with a valid checksum,
    /// else the first aligned magic (so that a bad checksum is reported, not skipped).
    static func find(in image: [UInt8]) -> Int? {
        let end = min(image.count, searchLimit) - minimumSize
        guard end >= 0 else { return nil }
        var firstMagic: Int?
        for offset in stride(from: 0, through: end, by: 4) where image.littleEndian(UInt32.self, at: offset) == magic {
            if checksumSum(image, at: offset) == 0 { return offset }
            if firstMagic == nil { firstMagic = offset }
        }
        return firstMagic
    }

    /// magic + flags + checksum, which is 0 mod 2^32 in a valid header.
    private static func checksumSum(_ image: [UInt8], at offset: Int) -> UInt32 {
        let flags = image.littleEndian(UInt32.self, at: offset + 4) ?? 0
        let checksum = image.littleEndian(UInt32.self, at: offset + 8) ?? 0
        return magic &+ flags &+ checksum
    }

    /// Finds and validates the header: checksum, required flags, address fields.
    init(parsing image: [UInt8]) throws(LoaderError) {
        guard let offset = Self.find(in: image) else {
            throw .unknownFormat(firstBytes: Array(image.prefix(16)))
        }
        let reader = FieldReader(image: image, what: "multiboot header")
        let flags = try reader.u32(UInt64(offset) + 4)
        let checksum = try reader.u32(UInt64(offset) + 8)
        guard Self.magic &+ flags &+ checksum == 0 else {
            throw .invalidField(format: .multiboot, field: "checksum", value: UInt64(checksum),
                                reason: "magic + flags + checksum must be 0 mod 2^32; expected "
                                    + hex(0 &- Self.magic &- flags))
        }
        let unsupported = flags & Self.requiredFlagsMask & ~Self.supportedRequiredFlags
        guard unsupported == 0 else {
            throw .invalidField(format: .multiboot, field: "flags", value: UInt64(flags),
                                reason: "requires features this loader lacks (bits \(hex(unsupported)))")
        }
        self.offset = offset
        self.flags = flags
        if flags & Self.addressFieldsFlag != 0 {
            let base = UInt64(offset)
            addressFields = AddressFields(
                headerAddress: try reader.u32(base + 12), loadAddress: try reader.u32(base + 16),
                loadEndAddress: try reader.u32(base + 20), bssEndAddress: try reader.u32(base + 24),
                entryAddress: try reader.u32(base + 28))
        }
    }
}

extension MultibootHeader.AddressFields {
    /// The load range these fields describe, validated against each other and the
    /// file, and the entry point. `headerOffset` is the file offset of the header.
    func plan(_ image: [UInt8], headerOffset: Int) throws(LoaderError) -> (piece: ImagePiece, entry: UInt64) {
        guard loadAddress <= headerAddress else {
            throw invalid("load_addr", loadAddress, "above header_addr \(hex(headerAddress))")
        }
        // The file offset of load_addr is the header's offset minus its distance from load_addr.
        let distance = UInt64(headerAddress - loadAddress)
        guard distance <= UInt64(headerOffset) else {
            throw invalid("header_addr", headerAddress, "header_addr - load_addr = \(hex(distance)) exceeds the "
                          + "header's file offset \(hex(headerOffset)): load_addr would precede the file")
        }
        let loadOffset = UInt64(headerOffset) - distance
        let fileSize = UInt64(image.count)
        let loadEnd = try loadEnd(loadOffset: loadOffset, fileSize: fileSize)
        let memoryEnd = try memoryEnd(loadEnd: loadEnd)
        guard UInt64(entryAddress) >= UInt64(loadAddress), UInt64(entryAddress) < loadEnd else {
            throw invalid("entry_addr", entryAddress,
                          "outside the loaded range [\(hex(loadAddress)), \(hex(loadEnd)))")
        }
        let loadSize = loadEnd - UInt64(loadAddress)
        let bytes = try fileRange("multiboot load range", offset: loadOffset, length: loadSize, in: image)
        let piece = ImagePiece(what: "multiboot image", destination: GuestAddress(UInt64(loadAddress)),
                               fileRange: bytes, memorySize: memoryEnd - UInt64(loadAddress))
        return (piece, UInt64(entryAddress))
    }

    /// load_end_addr, or the address the end of the file lands at when it is 0.
    private func loadEnd(loadOffset: UInt64, fileSize: UInt64) throws(LoaderError) -> UInt64 {
        guard loadEndAddress != 0 else { return UInt64(loadAddress) + (fileSize - loadOffset) }
        guard loadEndAddress >= loadAddress else {
            throw invalid("load_end_addr", loadEndAddress, "below load_addr \(hex(loadAddress))")
        }
        let size = UInt64(loadEndAddress - loadAddress)
        guard loadOffset + size <= fileSize else {
            throw .truncated(what: "multiboot load range [load_addr, load_end_addr)", offset: loadOffset,
                             needed: size, fileSize: fileSize)
        }
        return UInt64(loadEndAddress)
    }

    /// bss_end_addr, or the load end when it is 0 (no bss).
    private func memoryEnd(loadEnd: UInt64) throws(LoaderError) -> UInt64 {
        guard bssEndAddress != 0 else { return loadEnd }
        guard UInt64(bssEndAddress) >= loadEnd else {
            throw invalid("bss_end_addr", bssEndAddress, "below the end of the loaded range \(hex(loadEnd))")
        }
        return UInt64(bssEndAddress)
    }

    private func invalid(_ field: String, _ value: UInt32, _ reason: String) -> LoaderError {
        .invalidField(format: .multiboot, field: field, value: UInt64(value), reason: reason)
    }
}
