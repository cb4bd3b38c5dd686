import Memory

/// One contiguous part of an image: `fileRange` of the file copied to `destination`,
/// followed by zeroes up to `memorySize` bytes (an ELF segment's bss, for instance).
struct ImagePiece: Equatable {
    /// Named in errors: "ELF segment 1", "multiboot load range", "flat image".
    var what: String
    var destination: GuestAddress
    var fileRange: Range<Int>
    var memorySize: UInt64

    var range: GuestRange { GuestRange(start: destination, size: memorySize) }
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

    var imageRanges: [GuestRange] { pieces.map(\.range) }
    var bootStructures: [BootStructure] { structures.map(\.bootStructure) }

    /// Throws unless every piece and structure is in RAM and no piece overlaps a structure.
    func check(in memory: GuestMemory) throws(LoaderError) {
        for piece in pieces {
            guard memory.contains(piece.range) else {
                throw .outsideMemory(what: piece.what, range: piece.range)
            }
            for structure in structures where piece.range.overlaps(structure.range) {
                throw .overlapsBootStructure(what: piece.what, range: piece.range,
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
        do {
            for piece in pieces {
                let target = try memory.buffer(at: piece.destination, length: UInt64(piece.fileRange.count))
                image[piece.fileRange].withUnsafeBytes { target.copyMemory(from: $0) }
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
