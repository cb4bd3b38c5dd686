import Memory

/// The setup header of a Linux bzImage (Documentation/arch/x86/boot.rst), parsed and
/// validated for a 64-bit boot: protocol 2.12 or later, a 64-bit entry point
/// (XLF_KERNEL_64) and a kernel that runs loaded high (LOADED_HIGH).
///
/// Offsets are from the start of the file, which are also the offsets of the same
/// fields in the zero page (`struct boot_params` holds the header at 0x1F1).
public struct LinuxSetupHeader: Sendable, Equatable {
    /// The oldest protocol accepted: 2.12 added XLF_KERNEL_64 and the 64-bit entry.
    public static let minimumVersion: UInt16 = 0x020C
    /// loadflags LOADED_HIGH: the protected-mode kernel runs loaded at 1 MiB or above.
    public static let loadedHigh: UInt8 = 0x01
    /// loadflags QUIET_FLAG: suppress early messages.
    public static let quietFlag: UInt8 = 0x20
    /// loadflags KEEP_SEGMENTS (obsolete): do not reload segment registers.
    public static let keepSegments: UInt8 = 0x40
    /// loadflags CAN_USE_HEAP: heap_end_ptr is valid (real-mode setup only).
    public static let canUseHeap: UInt8 = 0x80
    /// xloadflags bit: the kernel has the 64-bit entry point at load address + 0x200.
    public static let kernel64: UInt16 = 0x0001

    /// The header, from 0x1F1 up to the end the jump at 0x200 gives (0x202 + the byte at 0x201).
    public var bytes: [UInt8]
    /// The protocol version, 0x020F for 2.15.
    public var version: UInt16
    /// Setup sectors after the boot sector (a 0 in the file means 4).
    public var setupSectors: Int
    /// loadflags (0x211), as in the file.
    public var loadFlags: UInt8
    /// xloadflags (0x236).
    public var extendedLoadFlags: UInt16
    /// relocatable_kernel (0x234) is non-zero.
    public var relocatable: Bool
    /// kernel_alignment (0x230): a relocatable kernel realigns itself to this.
    public var kernelAlignment: UInt32
    /// The highest address the initrd may occupy (its last byte).
    public var initrdAddressMax: UInt32
    /// The longest command line, without its terminating NUL.
    public var commandLineSize: UInt32
    /// pref_address (0x258): where the kernel prefers to run (LOAD_PHYSICAL_ADDR).
    public var preferredAddress: UInt64
    /// Memory the kernel needs from its runtime address before it reads the memory map.
    public var initSize: UInt32
    /// The 32-bit entry point, also the load address a non-relocatable kernel expects.
    public var code32Start: UInt32
    /// The protected-mode kernel's bytes in the file: from (setup_sects + 1) * 512 to the end.
    public var kernelFileRange: Range<Int>
    /// The version string the header points to, if any ("6.1.0-50-amd64 (...) #1 SMP ...").
    public var kernelVersion: String?

    /// Whether `image` has the boot sector flag 0xAA55 at 0x1FE and "HdrS" at 0x202.
    public static func hasMagic(_ image: [UInt8]) -> Bool {
        image.littleEndian(UInt16.self, at: Offset.bootFlag) == bootFlag
            && image.littleEndian(UInt32.self, at: Offset.magic) == magic
    }

    static let bootFlag: UInt16 = 0xAA55
    static let magic: UInt32 = 0x5372_6448  // "HdrS"
    /// Fields up to handover_offset (0x264-0x267) exist from protocol 2.11 on.
    static let minimumEnd = 0x268
    /// `struct boot_params` has room for the header up to 0x290.
    static let maximumEnd = 0x290

    /// Parses and validates the setup header of `image`.
    public init(parsing image: [UInt8]) throws(LoaderError) {
        let reader = FieldReader(image: image, what: "Linux setup header")
        guard Self.hasMagic(image) else {
            throw .invalidField(format: .bzImage, field: "header", value: UInt64(try reader.u32(UInt64(Offset.magic))),
                                reason: "not a bzImage: needs 0xAA55 at 0x1FE and \"HdrS\" at 0x202")
        }
        let end = try Self.headerEnd(image)
        version = try reader.u16(UInt64(Offset.version))
        guard version >= Self.minimumVersion else {
            throw .oldBootProtocol(version: version, minimum: Self.minimumVersion)
        }
        guard end >= Self.minimumEnd else {
            throw Self.corrupt("setup header end (0x202 + byte at 0x201)", UInt64(end),
                               "protocol \(LoaderError.protocolText(version)) has fields up to \(hex(Self.minimumEnd))")
        }
        bytes = Array(image[Offset.setupSectors..<end])
        let sectors = try reader.u8(UInt64(Offset.setupSectors))
        setupSectors = sectors == 0 ? 4 : Int(sectors)
        loadFlags = try reader.u8(UInt64(Offset.loadFlags))
        extendedLoadFlags = try reader.u16(UInt64(Offset.extendedLoadFlags))
        relocatable = try reader.u8(UInt64(Offset.relocatable)) != 0
        kernelAlignment = try reader.u32(UInt64(Offset.kernelAlignment))
        initrdAddressMax = try reader.u32(UInt64(Offset.initrdAddressMax))
        commandLineSize = try reader.u32(UInt64(Offset.commandLineSize))
        preferredAddress = try reader.u64(UInt64(Offset.preferredAddress))
        initSize = try reader.u32(UInt64(Offset.initSize))
        code32Start = try reader.u32(UInt64(Offset.code32Start))
        kernelFileRange = try Self.kernelRange(image, setupSectors: setupSectors,
                                               systemSize: try reader.u32(UInt64(Offset.systemSize)))
        kernelVersion = Self.versionString(image, pointer: try reader.u16(UInt64(Offset.kernelVersion)),
                                           setupEnd: kernelFileRange.lowerBound)
        try validate()
    }

    /// Where the header ends, from the short jump at 0x200; it must lie in the file and
    /// leave room for the version field.
    private static func headerEnd(_ image: [UInt8]) throws(LoaderError) -> Int {
        let reader = FieldReader(image: image, what: "Linux setup header")
        let end = Offset.magic + Int(try reader.u8(UInt64(Offset.jump + 1)))
        guard end >= Offset.version + 2, end <= maximumEnd else {
            throw corrupt("setup header end (0x202 + byte at 0x201)", UInt64(end),
                          "must be between \(hex(Offset.version + 2)) and \(hex(maximumEnd))")
        }
        _ = try fileRange("Linux setup header", offset: UInt64(Offset.setupSectors),
                          length: UInt64(end - Offset.setupSectors), in: image)
        return end
    }

    /// The protected-mode kernel: non-empty, and at least syssize * 16 bytes long.
    private static func kernelRange(_ image: [UInt8], setupSectors: Int, systemSize: UInt32) throws(LoaderError)
        -> Range<Int>
    {
        let start = (setupSectors + 1) * 512
        guard systemSize > 0 else {
            throw corrupt("syssize", 0, "the protected-mode kernel is empty")
        }
        let needed = UInt64(systemSize) * 16
        _ = try fileRange("protected-mode kernel (syssize \(hex(systemSize)) paragraphs)",
                          offset: UInt64(start), length: needed, in: image)
        return start..<image.count
    }

    private func validate() throws(LoaderError) {
        guard loadFlags & Self.loadedHigh != 0 else {
            throw Self.corrupt("loadflags", UInt64(loadFlags), "LOADED_HIGH (0x1) is clear: the kernel "
                               + "wants to be loaded at 0x10000, which a 64-bit boot does not do")
        }
        guard extendedLoadFlags & Self.kernel64 != 0 else {
            throw Self.corrupt("xloadflags", UInt64(extendedLoadFlags),
                               "XLF_KERNEL_64 (0x1) is clear: the kernel has no 64-bit entry point")
        }
        if relocatable {
            guard kernelAlignment != 0, kernelAlignment & (kernelAlignment - 1) == 0 else {
                throw Self.corrupt("kernel_alignment", UInt64(kernelAlignment), "must be a power of two")
            }
        } else {
            guard UInt64(code32Start) == BootLayout.linuxKernel.rawValue else {
                throw Self.corrupt("code32_start", UInt64(code32Start), "a kernel that is not relocatable must be "
                                   + "loaded at its code32_start, and this loader loads at \(BootLayout.linuxKernel)")
            }
        }
        guard initSize > 0 else {
            throw Self.corrupt("init_size", 0, "the kernel must say how much memory it needs to decompress")
        }
    }

    /// The NUL-terminated string at kernel_version + 0x200, if it lies in the setup code.
    private static func versionString(_ image: [UInt8], pointer: UInt16, setupEnd: Int) -> String? {
        guard pointer != 0 else { return nil }
        let start = Int(pointer) + 0x200
        guard start < setupEnd else { return nil }
        let text = image[start..<min(setupEnd, start + 256)].prefix { $0 != 0 }
        return String(decoding: text, as: UTF8.self)
    }

    private static func corrupt(_ field: String, _ value: UInt64, _ reason: String) -> LoaderError {
        .invalidField(format: .bzImage, field: field, value: value, reason: reason)
    }

    /// The protected-mode kernel's size in bytes.
    public var kernelSize: UInt64 { UInt64(kernelFileRange.count) }

    /// Where the kernel decompresses itself when loaded at `load` and entered at its
    /// 64-bit entry point: `init_size` bytes from its runtime address, which is `load`
    /// rounded up to `kernel_alignment` but not below `pref_address` for a relocatable
    /// kernel (arch/x86/boot/compressed/head_64.S), else `pref_address`.
    public func decompressionRange(loadedAt load: GuestAddress) throws(LoaderError) -> GuestRange {
        var start = preferredAddress
        if relocatable {
            let mask = UInt64(kernelAlignment) - 1
            let aligned = (load.rawValue + mask) & ~mask
            start = max(aligned, preferredAddress)
        }
        return try guestRange("the kernel's decompression area (init_size \(hex(initSize)))",
                              start: start, size: UInt64(initSize))
    }
}
