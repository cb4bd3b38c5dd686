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
    /// A Linux kernel speaks a boot protocol older than this loader needs (`0x020C` is 2.12).
    case oldBootProtocol(version: UInt16, minimum: UInt16)
    /// An initrd was given for an image that cannot take one (only Linux kernels can).
    case initrdNotSupported(format: ImageFormat)
    /// The initrd file is empty.
    case emptyInitrd
    /// No page-aligned free range of `size` bytes lies between 1 MiB and `ceiling`
    /// (set by `limitedBy`: the kernel's initrd_addr_max or the RAM below 4 GiB);
    /// the largest free range there, outside the kernel and the VMM's structures,
    /// holds `largestFree` bytes.
    case initrdDoesNotFit(size: UInt64, ceiling: UInt64, limitedBy: String, largestFree: UInt64)
    /// A multiboot or PVH module (or the initrd passed as one), placed at `start` after
    /// the kernel and the modules before it, would pass `ramEnd` (the end of the RAM
    /// below 4 GiB that holds 1 MiB).
    case moduleDoesNotFit(what: String, size: UInt64, start: UInt64, ramEnd: UInt64)
    /// The module list and strings (`needed` bytes, `count` modules) do not fit in the
    /// `available` bytes of the boot information page.
    case moduleListTooLarge(count: Int, needed: Int, available: Int)
    /// Modules were given for an image format that takes none.
    case modulesNotSupported(format: ImageFormat)
    /// PVH was asked for (`--boot-protocol pvh`) but the image has no Xen
    /// `XEN_ELFNOTE_PHYS32_ENTRY` note.
    case noPVHEntry

    public var description: String {
        switch self {
        case .emptyImage:
            return "the kernel image is empty"
        case .unknownFormat(let bytes):
            let hex = bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
            return "unrecognised image format (first bytes: \(hex)); not a Linux bzImage, multiboot or ELF; "
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
        case .oldBootProtocol(let version, let minimum):
            return "old boot protocol: the kernel speaks Linux boot protocol \(Self.protocolText(version)), "
                + "but this loader enters the 64-bit entry point, which needs \(Self.protocolText(minimum)) or later"
        case .initrdNotSupported(let format):
            return "an initrd can only be passed to a Linux kernel (bzImage or ELF vmlinux); "
                + "this image is \(format.rawValue)"
        case .emptyInitrd:
            return "the initrd is empty"
        case .initrdDoesNotFit(let size, let ceiling, let limitedBy, let largestFree):
            return "the initrd (\(size) bytes) does not fit below 0x\(String(ceiling, radix: 16)) (\(limitedBy)): "
                + "the largest free page-aligned range between 1 MiB and there, outside the kernel and the VMM's "
                + "structures, holds \(largestFree) bytes"
        case .moduleDoesNotFit(let what, let size, let start, let ramEnd):
            return "\(what) (\(size) bytes) does not fit: placed after the kernel at 0x\(String(start, radix: 16)), "
                + "it would end past 0x\(String(ramEnd, radix: 16)), the end of RAM below 4 GiB; give more memory"
        case .moduleListTooLarge(let count, let needed, let available):
            return "\(count) modules need \(needed) bytes for their list and strings, but only \(available) "
                + "are left in the boot information page; pass fewer modules or shorter strings"
        case .modulesNotSupported(let format):
            return "modules (--module) can only be passed to a multiboot or PVH kernel (a Linux kernel takes "
                + "one --initrd); this image is \(format.rawValue)"
        case .noPVHEntry:
            return "--boot-protocol pvh: the image has no Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY (type 18) "
                + "giving a PVH entry point"
        }
    }

    /// "2.12" for 0x020C.
    static func protocolText(_ version: UInt16) -> String { "\(version >> 8).\(version & 0xFF)" }
}
