import Memory

/// One contiguous part of an image: `fileRange` of the file copied to `destination`,
/// followed by zeroes up to `memorySize` bytes (an ELF segment's bss, for instance).
struct ImagePiece: Equatable {
    /// The file a piece's bytes come from.
    enum Source: Equatable {
        /// The kernel image being loaded.
        case image
        /// A Linux initrd, loaded beside the kernel.
        case initrd([UInt8])
    }

    /// Named in errors: "ELF segment 1", "multiboot load range", "flat image".
    var what: String
    var destination: GuestAddress
    var fileRange: Range<Int>
    var memorySize: UInt64
    var source: Source = .image

    var range: GuestRange { GuestRange(start: destination, size: memorySize) }

    var isImage: Bool { source == .image }

    /// The bytes `fileRange` indexes.
    func file(_ image: [UInt8]) -> [UInt8] {
        switch source {
        case .image: return image
        case .initrd(let bytes): return bytes
        }
    }
}

/// Memory the guest needs in RAM at boot but that the loader does not write, such
/// as the area a bzImage decompresses itself into (`init_size`).
struct Reservation: Equatable {
    var what: String
    var range: GuestRange
}

/// A VMM structure to write: `bytes` at the start of `range`, the rest of `range` zeroed.
struct PlannedStructure: Equatable {
    var name: String
    var range: GuestRange
    var bytes: [UInt8]

    var bootStructure: BootStructure { BootStructure(name: name, range: range) }
}

/// Everything a load will write, gathered first so that it can be checked as a whole
/// before a single byte reaches guest memory: a failed load leaves memory untouched.
struct LoadPlan {
    var pieces: [ImagePiece]
    var structures: [PlannedStructure]
    var reservations: [Reservation] = []

    /// Where the image's pieces go (not the initrd's).
    var imageRanges: [GuestRange] { pieces.filter(\.isImage).map(\.range) }
    var bootStructures: [BootStructure] { structures.map(\.bootStructure) }

    /// Throws unless every piece, reservation and structure is in RAM and no piece or
    /// reservation overlaps a structure.
    func check(in memory: GuestMemory) throws(LoaderError) {
        let claims = pieces.map { ($0.what, $0.range) } + reservations.map { ($0.what, $0.range) }
        for (what, range) in claims {
            guard memory.contains(range) else {
                throw .outsideMemory(what: what, range: range)
            }
            for structure in structures where range.overlaps(structure.range) {
                throw .overlapsBootStructure(what: what, range: range,
                                             structure: structure.name, structureRange: structure.range)
            }
        }
        for structure in structures where !memory.contains(structure.range) {
            throw .outsideMemory(what: "the VMM's \(structure.name)", range: structure.range)
        }
    }

    /// Checks, then writes the image pieces and the structures.
    func write(_ image: [UInt8], into memory: GuestMemory) throws(LoaderError) {
        try check(in: memory)
        for piece in pieces {
            let file = piece.file(image)
            guard piece.fileRange.lowerBound >= 0, piece.fileRange.upperBound <= file.count,
                  UInt64(piece.fileRange.count) <= piece.memorySize else {
                // The format loaders derive file ranges from checked headers; reported, not trapped on.
                throw .truncated(what: piece.what, offset: UInt64(max(piece.fileRange.lowerBound, 0)),
                                 needed: UInt64(piece.fileRange.count), fileSize: UInt64(file.count))
            }
        }
        do {
            for piece in pieces {
                let target = try memory.buffer(at: piece.destination, length: UInt64(piece.fileRange.count))
                piece.file(image)[piece.fileRange].withUnsafeBytes { target.copyMemory(from: $0) }
                let copied = UInt64(piece.fileRange.count)
                if let bssStart = piece.destination.adding(copied), piece.memorySize > copied {
                    try memory.zero(at: bssStart, length: piece.memorySize - copied)
                }
            }
            for structure in structures {
                try memory.zero(at: structure.range.start, length: structure.range.size)
                try memory.write(structure.bytes, at: structure.range.start)
            }
        } catch {
            // Unreachable after `check`; reported rather than trapped on.
            guard case .outOfBounds(let address, let length) = error else {
                throw .outsideMemory(what: "image", range: GuestRange(start: GuestAddress(0), size: 0))
            }
            throw .outsideMemory(what: "image", range: GuestRange(start: address, size: length))
        }
    }
}
