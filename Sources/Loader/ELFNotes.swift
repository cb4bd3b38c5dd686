/// Finds the ELF notes of an ELF32 or ELF64 image: a note owned by "Linux" marks a
/// vmlinux (every x86 vmlinux has some, e.g. the Linux version note), and the Xen note
/// `XEN_ELFNOTE_PHYS32_ENTRY` marks an image that can be started through PVH.
///
/// Scanning must not fail: a malformed program header table ends the scan, and a note
/// whose descriptor runs past its segment is returned with `descriptor == nil` (so the
/// PVH loader can report it), after which that segment's scan stops.
enum ELFNotes {
    /// One note: owner name, type and descriptor bytes (nil when truncated).
    struct Note: Equatable {
        var owner: String
        var type: UInt32
        /// The descriptor as its header declares it, or nil if it runs past the segment.
        var descriptor: [UInt8]?
        /// The declared descriptor size (`n_descsz`).
        var descriptorSize: UInt32
        /// The note's offset in the file, for error messages.
        var fileOffset: Int
    }

    static let typeNote: UInt32 = 4
    static let linuxOwner = "Linux"
    static let xenOwner = "Xen"
    /// `XEN_ELFNOTE_PHYS32_ENTRY` (xen/include/public/elfnote.h): the 32-bit physical
    /// PVH entry point.
    static let xenPhys32Entry: UInt32 = 18

    /// Whether `image` is an ELF64 file with a PT_NOTE segment holding a note owned by "Linux".
    static func hasLinuxNote(_ image: [UInt8]) -> Bool {
        ELFFile.claimedFormat(image) == .elf64 && owners(image).contains(linuxOwner)
    }

    /// Whether `image` carries a Xen `XEN_ELFNOTE_PHYS32_ENTRY` note (even a truncated one).
    static func hasPVHNote(_ image: [UInt8]) -> Bool {
        pvhNote(image) != nil
    }

    /// The first Xen `XEN_ELFNOTE_PHYS32_ENTRY` note, if any.
    static func pvhNote(_ image: [UInt8]) -> Note? {
        notes(image).first { $0.owner == xenOwner && $0.type == xenPhys32Entry }
    }

    /// The owner names of the notes in the PT_NOTE segments, in order.
    static func owners(_ image: [UInt8]) -> [String] {
        notes(image).map(\.owner)
    }

    /// The notes in the PT_NOTE segments of an ELF32 or ELF64 image, in order.
    static func notes(_ image: [UInt8]) -> [Note] {
        guard ELFFile.hasMagic(image) else { return [] }
        let is64 = ELFFile.claimedFormat(image) == .elf64
        let table = is64 ? image.littleEndian(UInt64.self, at: 32) : image.littleEndian(UInt32.self, at: 28).map(UInt64.init)
        guard let tableOffset = table,
              let entrySize = image.littleEndian(UInt16.self, at: is64 ? 54 : 42),
              let count = image.littleEndian(UInt16.self, at: is64 ? 56 : 44),
              entrySize >= (is64 ? 56 : 32), tableOffset < UInt64(image.count) else { return [] }
        var notes: [Note] = []
        for index in 0..<Int(count) {
            let header = Int(tableOffset) + index * Int(entrySize)
            let offsetField = is64 ? image.littleEndian(UInt64.self, at: header + 8)
                : image.littleEndian(UInt32.self, at: header + 4).map(UInt64.init)
            let sizeField = is64 ? image.littleEndian(UInt64.self, at: header + 32)
                : image.littleEndian(UInt32.self, at: header + 16).map(UInt64.init)
            guard let type = image.littleEndian(UInt32.self, at: header),
                  let offset = offsetField, let size = sizeField else { break }
            let fileSize = UInt64(image.count)
            guard type == typeNote, offset <= fileSize, size <= fileSize - offset else { continue }
            notes += segmentNotes(image, in: Int(offset)..<Int(offset + size))
        }
        return notes
    }

    /// Notes are a 12-byte header (namesz, descsz, type), the name, then the
    /// descriptor, each padded to 4 bytes.
    private static func segmentNotes(_ image: [UInt8], in range: Range<Int>) -> [Note] {
        var notes: [Note] = []
        var cursor = range.lowerBound
        while range.upperBound - cursor >= 12 {
            guard let nameSize = image.littleEndian(UInt32.self, at: cursor),
                  let descriptorSize = image.littleEndian(UInt32.self, at: cursor + 4),
                  let type = image.littleEndian(UInt32.self, at: cursor + 8) else { break }
            let nameStart = cursor + 12
            let paddedName = (Int(nameSize) + 3) & ~3
            guard paddedName <= range.upperBound - nameStart else { break }
            let name = image[nameStart..<(nameStart + Int(nameSize))].prefix { $0 != 0 }
            let owner = String(decoding: name, as: UTF8.self)
            let descriptorStart = nameStart + paddedName
            let paddedDescriptor = (Int(descriptorSize) + 3) & ~3
            guard Int(descriptorSize) <= range.upperBound - descriptorStart else {
                notes.append(Note(owner: owner, type: type, descriptor: nil, descriptorSize: descriptorSize,
                                  fileOffset: cursor))
                break
            }
            let descriptor = Array(image[descriptorStart..<(descriptorStart + Int(descriptorSize))])
            notes.append(Note(owner: owner, type: type, descriptor: descriptor, descriptorSize: descriptorSize,
                              fileOffset: cursor))
            cursor = min(descriptorStart + paddedDescriptor, range.upperBound)
        }
        return notes
    }
}
