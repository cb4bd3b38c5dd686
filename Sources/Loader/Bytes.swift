import Memory

// Little-endian field access on an image held in memory. Every read is bounds-checked;
// offsets and lengths coming from headers are UInt64 and overflow-checked before they
// are turned into array indices.

extension [UInt8] {
    /// The little-endian integer at `offset`, or nil if it does not fit in the array.
    func littleEndian<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, at offset: Int) -> T? {
        let width = MemoryLayout<T>.size
        guard offset >= 0, offset <= count - width else { return nil }
        var value: T = 0
        for index in 0..<width {
            value |= T(self[offset + index]) << (8 * index)
        }
        return value
    }

    /// Stores `value` little-endian at `offset`; the caller sized the array.
    mutating func storeLittleEndian<T: FixedWidthInteger & UnsignedInteger>(_ value: T, at offset: Int) {
        for index in 0..<MemoryLayout<T>.size {
            self[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index))
        }
    }

    /// Copies `bytes` to `offset`; the caller sized the array.
    mutating func store(_ bytes: [UInt8], at offset: Int) {
        replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }
}

/// Reads header fields of an image, turning a short file into `LoaderError.truncated`.
struct FieldReader {
    let image: [UInt8]
    /// What is being read, for error messages ("ELF header", "multiboot header").
    let what: String

    func u8(_ offset: UInt64) throws(LoaderError) -> UInt8 { try read(UInt8.self, offset) }
    func u16(_ offset: UInt64) throws(LoaderError) -> UInt16 { try read(UInt16.self, offset) }
    func u32(_ offset: UInt64) throws(LoaderError) -> UInt32 { try read(UInt32.self, offset) }
    func u64(_ offset: UInt64) throws(LoaderError) -> UInt64 { try read(UInt64.self, offset) }

    private func read<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, _ offset: UInt64) throws(LoaderError) -> T {
        let width = UInt64(MemoryLayout<T>.size)
        guard offset <= UInt64(Int.max), let value = image.littleEndian(T.self, at: Int(offset)) else {
            throw .truncated(what: what, offset: offset, needed: width, fileSize: UInt64(image.count))
        }
        return value
    }
}

/// The file range `[offset, offset + length)` as array indices, or `.truncated` if it
/// does not lie inside the image (including when `offset + length` overflows).
func fileRange(_ what: String, offset: UInt64, length: UInt64, in image: [UInt8]) throws(LoaderError) -> Range<Int> {
    let (end, overflow) = offset.addingReportingOverflow(length)
    guard !overflow, end <= UInt64(image.count) else {
        throw .truncated(what: what, offset: offset, needed: length, fileSize: UInt64(image.count))
    }
    return Int(offset)..<Int(end)
}

/// `[start, start + size)` as a guest range, or `.outsideMemory` if it would pass 2^64.
func guestRange(_ what: String, start: UInt64, size: UInt64) throws(LoaderError) -> GuestRange {
    guard GuestAddress(start).adding(size) != nil else {
        // Report the part that is representable; it cannot be in RAM anyway.
        throw .outsideMemory(what: what, range: GuestRange(start: GuestAddress(start), size: UInt64.max - start))
    }
    return GuestRange(start: GuestAddress(start), size: size)
}

/// Hexadecimal for error reasons.
func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }
