import Loader
import Memory

// Crafted Linux kernels: a bzImage with every setup header field a test may break,
// and the notes that make an ELF64 file a vmlinux.

/// A bzImage: the boot sector and setup sectors (with the setup header at 0x1F1),
/// then the protected-mode kernel. Defaults describe a valid, modern 64-bit kernel.
struct BzImageBuilder {
    var setupSectors: UInt8 = 4
    var version: UInt16 = 0x020F
    var loadFlags: UInt8 = 0x01
    var extendedLoadFlags: UInt16 = 0x0003  // XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G
    var relocatable: UInt8 = 1
    var kernelAlignment: UInt32 = 0x20_0000
    var initrdAddressMax: UInt32 = 0x7FFF_FFFF
    var commandLineSize: UInt32 = 2047
    var preferredAddress: UInt64 = 0x100_0000
    var initSize: UInt32 = 0x10_0000
    var code32Start: UInt32 = 0x10_0000
    var setupData: UInt64 = 0
    /// 0x202 + the byte at 0x201.
    var headerEnd = 0x26C
    var kernel = pattern(0x3000, seed: 11)
    /// syssize; nil means the kernel's size in 16-byte paragraphs.
    var systemSize: UInt32?

    static let versionString = "6.99.0-test (builder@swift-vmm) #1 SMP"

    /// Bytes of the file before the protected-mode kernel.
    var setupSize: Int { (Int(setupSectors == 0 ? 4 : setupSectors) + 1) * 512 }

    var image: [UInt8] {
        // Boot sector code and setup code are patterns, so copying too much is visible.
        var image = pattern(setupSize, seed: 5)
        image.put([UInt8](repeating: 0, count: 0x290 - 0x1F1), at: 0x1F1)
        image.put(setupSectors, at: 0x1F1)
        image.put(UInt16(1), at: 0x1F2)  // root_flags
        image.put(systemSize ?? UInt32((kernel.count + 15) / 16), at: 0x1F4)
        image.put(UInt16(0), at: 0x1FA)  // vid_mode: the loader must set 0xFFFF
        image.put(UInt16(0xAA55), at: 0x1FE)
        image.put(UInt8(0xEB), at: 0x200)
        image.put(UInt8(truncatingIfNeeded: headerEnd - 0x202), at: 0x201)
        image.put(Array("HdrS".utf8), at: 0x202)
        image.put(version, at: 0x206)
        image.put(UInt16(0x300 - 0x200), at: 0x20E)  // kernel_version
        image.put(Array(Self.versionString.utf8) + [0], at: 0x300)
        image.put(loadFlags, at: 0x211)
        image.put(code32Start, at: 0x214)
        image.put(initrdAddressMax, at: 0x22C)
        image.put(kernelAlignment, at: 0x230)
        image.put(relocatable, at: 0x234)
        image.put(UInt8(0x15), at: 0x235)  // min_alignment
        image.put(extendedLoadFlags, at: 0x236)
        image.put(commandLineSize, at: 0x238)
        image.put(setupData, at: 0x250)
        image.put(preferredAddress, at: 0x258)
        image.put(initSize, at: 0x260)
        image.put(UInt32(0x190), at: 0x264)  // handover_offset
        image.put(UInt32(0x1234), at: 0x268)  // kernel_info_offset
        image.put(kernel, at: setupSize)
        return image
    }
}

extension [UInt8] {
    func u16(at offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    func u64(at offset: Int) -> UInt64 { UInt64(u32(at: offset)) | UInt64(u32(at: offset + 4)) << 32 }
}

enum NoteBuilder {
    /// One ELF note: namesz, descsz, type, the NUL-terminated name, the descriptor,
    /// each part padded to 4 bytes.
    static func note(owner: String, type: UInt32 = 1, descriptor: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
        let name = Array(owner.utf8) + [0]
        var bytes: [UInt8] = []
        bytes.put(UInt32(name.count), at: 0)
        bytes.put(UInt32(descriptor.count), at: 4)
        bytes.put(type, at: 8)
        bytes.put(name, at: 12)
        let descriptorOffset = 12 + ((name.count + 3) & ~3)
        bytes.put(descriptor, at: descriptorOffset)
        bytes.put([UInt8](repeating: 0, count: (4 - descriptor.count % 4) % 4), at: descriptorOffset + descriptor.count)
        return bytes
    }

    /// A PT_NOTE segment holding `notes`.
    static func segment(_ notes: [UInt8]) -> TestSegment {
        TestSegment(at: 0, data: notes, type: 4)
    }
}

/// A vmlinux-like ELF64: a higher-half text segment at 16 MiB entered at its physical
/// address, a per-CPU segment linked at virtual address 0, a data segment with bss,
/// and a PT_NOTE segment with the given notes.
enum VmlinuxBuilder {
    static let text = pattern(0x2000, seed: 21)
    static let percpu = pattern(0x400, seed: 23)
    static let data = pattern(0x800, seed: 25)

    static func image(notes: [UInt8] = NoteBuilder.note(owner: "Linux", type: 6), entry: UInt64 = 0x100_0000)
        -> [UInt8]
    {
        ELFBuilder.elf64(entry: entry, segments: [
            TestSegment(at: 0x100_0000, virtual: 0xFFFF_FFFF_8100_0000, data: text),
            TestSegment(at: 0x120_0000, virtual: 0, data: percpu),
            TestSegment(at: 0x140_0000, virtual: 0xFFFF_FFFF_8140_0000, data: data, memorySize: 0x10_0000),
            NoteBuilder.segment(notes),
        ])
    }
}

/// Reads a zero page field from memory.
struct ZeroPageReader {
    let page: [UInt8]

    init(_ memory: GuestMemory) throws {
        page = try memory.read(at: BootLayout.bootInfo.start, count: 4096)
    }

    func u8(_ offset: Int) -> UInt8 { page[offset] }
    func u16(_ offset: Int) -> UInt16 { page.u16(at: offset) }
    func u32(_ offset: Int) -> UInt32 { page.u32(at: offset) }
    func u64(_ offset: Int) -> UInt64 { page.u64(at: offset) }

    /// The E820 table: e820_entries at 0x1E8, 20-byte entries at 0x2D0.
    var e820: [E820Entry] {
        (0..<Int(page[0x1E8])).map { index in
            let offset = 0x2D0 + index * 20
            return E820Entry(base: u64(offset), length: u64(offset + 8), type: u32(offset + 16))
        }
    }
}

/// One E820 entry as the kernel reads it; type 1 = RAM, 2 = reserved.
struct E820Entry: Equatable {
    var base: UInt64
    var length: UInt64
    var type: UInt32
}

extension LoaderError {
    /// What a `.truncated` names.
    var truncatedWhat: String? {
        if case .truncated(let what, _, _, _) = self { return what }
        return nil
    }
}

/// Whether `count` bytes at `address` are all zero.
func isZero(_ memory: GuestMemory, at address: UInt64, count: Int) throws -> Bool {
    try memory.read(at: GuestAddress(address), count: count).allSatisfy { $0 == 0 }
}
