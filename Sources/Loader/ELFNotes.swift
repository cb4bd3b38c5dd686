/// Finds the ELF notes of an ELF64 image, to recognise a Linux vmlinux by its notes
/// owned by "Linux" (every x86 vmlinux has some, e.g. the Linux version note).
///
/// Detection must not fail: a malformed program header table or note ends the scan,
/// and the image is then loaded (and its errors reported) as a plain ELF.
enum ELFNotes {
    static let typeNote: UInt32 = 4
    static let linuxOwner = "Linux"

    /// Whether `image` is an ELF64 file with a PT_NOTE segment holding a note owned by "Linux".
    static func hasLinuxNote(_ image: [UInt8]) -> Bool {
        owners(image).contains(linuxOwner)
    }

    /// The owner names of the notes in the PT_NOTE segments of an ELF64 image, in order.
    static func owners(_ image: [UInt8]) -> [String] {
        guard ELFFile.hasMagic(image), ELFFile.claimedFormat(image) == .elf64,
              let tableOffset = image.littleEndian(UInt64.self, at: 32),
              let entrySize = image.littleEndian(UInt16.self, at: 54),
              let count = image.littleEndian(UInt16.self, at: 56),
              entrySize >= 56, tableOffset < UInt64(image.count) else { return [] }
        var owners: [String] = []
        for index in 0..<Int(count) {
            let header = Int(tableOffset) + index * Int(entrySize)
            guard let type = image.littleEndian(UInt32.self, at: header),
                  let offset = image.littleEndian(UInt64.self, at: header + 8),
                  let size = image.littleEndian(UInt64.self, at: header + 32) else { break }
            let fileSize = UInt64(image.count)
            guard type == typeNote, offset <= fileSize, size <= fileSize - offset else { continue }
            owners += noteOwners(image, in: Int(offset)..<Int(offset + size))
        }
        return owners
    }

    /// Notes are a 12-byte header (namesz, descsz, type), the name, then the
    /// descriptor, each padded to 4 bytes.
    private static func noteOwners(_ image: [UInt8], in range: Range<Int>) -> [String] {
        var owners: [String] = []
        var cursor = range.lowerBound
        while range.upperBound - cursor >= 12 {
            guard let nameSize = image.littleEndian(UInt32.self, at: cursor),
                  let descriptorSize = image.littleEndian(UInt32.self, at: cursor + 4) else { break }
            let nameStart = cursor + 12
            let paddedName = (Int(nameSize) + 3) & ~3
            let paddedDescriptor = (Int(descriptorSize) + 3) & ~3
            guard paddedName + paddedDescriptor <= range.upperBound - nameStart else { break }
            let name = image[nameStart..<(nameStart + Int(nameSize))].prefix { $0 != 0 }
            owners.append(String(decoding: name, as: UTF8.self))
            cursor = nameStart + paddedName + paddedDescriptor
        }
        return owners
    }
}
