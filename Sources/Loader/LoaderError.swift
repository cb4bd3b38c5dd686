import Memory

/// Why an image could not be loaded. Each case names the offending value.
public enum LoaderError: Error, Equatable, CustomStringConvertible {
    /// The file is empty.
    case emptyImage
    /// No known format was recognised and no flat load address was given.
    case unknownFormat(firstBytes: [UInt8])
    /// The file ends before a structure it declares: `what` needs `needed` bytes at `offset`.
    case truncated(what: String, offset: UInt64, needed: UInt64, fileSize: UInt64)
    /// A header field has a value this loader does not accept.
    case invalidField(format: ImageFormat, field: String, value: UInt64, reason: String)
    /// Part of the image would land outside guest RAM.
    case outsideMemory(what: String, range: GuestRange)
    /// Part of the image would overwrite a VMM boot structure.
    case overlapsBootStructure(what: String, range: GuestRange, structure: String, structureRange: GuestRange)
    /// The command line does not fit the space reserved for it.
    case commandLineTooLong(length: Int, maximum: Int)
    /// The requested mode cannot be used with this image or address.
    case unsupportedMode(CPUMode, reason: String)

    public var description: String {
        switch self {
        case .emptyImage:
            return "the kernel image is empty"
        case .unknownFormat(let bytes):
            let hex = bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
            return "unrecognised image format (first bytes: \(hex)); not multiboot or ELF; "
                + "use --flat ADDR to load a raw binary"
        case .truncated(let what, let offset, let needed, let fileSize):
            return "image is truncated: \(what) needs \(needed) bytes at offset \(offset), "
                + "but the file is \(fileSize) bytes"
        case .invalidField(let format, let field, let value, let reason):
            return "invalid \(format.rawValue) image: \(field) = 0x\(String(value, radix: 16)): \(reason)"
        case .outsideMemory(let what, let range):
            return "\(what) at \(range) does not fit in guest memory"
        case .overlapsBootStructure(let what, let range, let structure, let structureRange):
            return "\(what) at \(range) overlaps the VMM's \(structure) at \(structureRange)"
        case .commandLineTooLong(let length, let maximum):
            return "command line is \(length) bytes; at most \(maximum) fit"
        case .unsupportedMode(let mode, let reason):
            return "cannot start in \(mode.rawValue) mode: \(reason)"
        }
    }
}
