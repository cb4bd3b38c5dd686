import Memory

/// The processor mode a guest is entered in.
public enum CPUMode: String, Sendable, CaseIterable, Equatable {
    /// 16-bit real mode, no GDT, no paging.
    case real
    /// 32-bit protected mode with flat 4 GiB segments, paging off.
    case protected
    /// 64-bit long mode with identity-mapped paging built by the VMM.
    case long
}

/// The format a guest image was recognised as.
public enum ImageFormat: String, Sendable, Equatable {
    /// A Linux bzImage (boot sector flag 0xAA55 and "HdrS"), entered at its 64-bit entry point.
    case bzImage
    case multiboot
    /// An uncompressed Linux kernel: an ELF64 file with a "Linux" note (a vmlinux).
    case linuxELF = "vmlinux"
    case elf32
    case elf64
    case flat
    /// An ELF (32- or 64-bit) started at its Xen PVH entry (`XEN_ELFNOTE_PHYS32_ENTRY`).
    case pvh
}

/// A segment register's full state, as the VMM loads it into the vCPU and, for
/// protected and long mode, as it is written into the GDT.
public struct Segment: Sendable, Equatable {
    public var selector: UInt16
    public var base: UInt64
    public var limit: UInt32
    /// Descriptor type field (4 bits): 0xB = code execute/read accessed, 0x3 = data read/write accessed.
    public var type: UInt8
    public var present: Bool
    public var dpl: UInt8
    /// Default operation size 32-bit (D/B).
    public var db: Bool
    /// Code or data segment (S), as opposed to a system segment.
    public var codeOrData: Bool
    /// 64-bit code segment (L).
    public var long: Bool
    /// Limit is in 4 KiB units (G).
    public var granularity: Bool

    public init(selector: UInt16, base: UInt64, limit: UInt32, type: UInt8, present: Bool = true,
                dpl: UInt8 = 0, db: Bool, codeOrData: Bool = true, long: Bool, granularity: Bool) {
        self.selector = selector
        self.base = base
        self.limit = limit
        self.type = type
        self.present = present
        self.dpl = dpl
        self.db = db
        self.codeOrData = codeOrData
        self.long = long
        self.granularity = granularity
    }

    /// The 8-byte GDT descriptor for this segment.
    public var descriptor: UInt64 {
        let limitUnits = granularity ? UInt64(limit >> 12) : UInt64(limit)
        var d: UInt64 = 0
        d |= limitUnits & 0xFFFF
        d |= (base & 0xFF_FFFF) << 16
        d |= UInt64(type & 0xF) << 40
        d |= (codeOrData ? 1 : 0) << 44
        d |= UInt64(dpl & 3) << 45
        d |= (present ? 1 : 0) << 47
        d |= ((limitUnits >> 16) & 0xF) << 48
        d |= (long ? 1 : 0) << 53
        d |= (db ? 1 : 0) << 54
        d |= (granularity ? 1 : 0) << 55
        d |= ((base >> 24) & 0xFF) << 56
        return d
    }

    /// A real-mode segment: base = selector * 16, 64 KiB limit.
    public static func real(selector: UInt16, code: Bool) -> Segment {
        Segment(selector: selector, base: UInt64(selector) << 4, limit: 0xFFFF, type: code ? 0xB : 0x3,
                db: false, long: false, granularity: false)
    }
}

/// A register state to start the boot vCPU with, beyond what the mode implies.
public struct InitialRegisters: Sendable, Equatable {
    public var rax: UInt64 = 0
    public var rbx: UInt64 = 0
    public var rcx: UInt64 = 0
    public var rdx: UInt64 = 0
    public var rsi: UInt64 = 0
    public var rdi: UInt64 = 0
    public var rsp: UInt64 = 0
    public var rbp: UInt64 = 0
    /// RFLAGS; bit 1 is reserved and always set.
    public var rflags: UInt64 = 0x2

    public init() {}
}

/// A VMM-owned structure in guest memory (GDT, page tables, boot information, ...).
public struct BootStructure: Sendable, Equatable {
    public var name: String
    public var range: GuestRange

    public init(name: String, range: GuestRange) {
        self.name = name
        self.range = range
    }
}

/// Everything the VMM needs to start the boot vCPU after an image was loaded.
///
/// The loader has already written the image and any boot structures into guest
/// memory; the plan says how the vCPU's registers must be set to enter it.
public struct BootPlan: Sendable, Equatable {
    public var format: ImageFormat
    public var mode: CPUMode
    /// The instruction pointer: RIP/EIP, or IP relative to `codeSegment.base` in real mode.
    public var instructionPointer: UInt64
    public var codeSegment: Segment
    /// Loaded into DS, ES, FS, GS and SS.
    public var dataSegment: Segment
    /// Base and limit for GDTR, when the mode uses a GDT.
    public var gdt: (base: UInt64, limit: UInt16)?
    /// CR3 for long mode: the PML4 of the identity map.
    public var pageTableRoot: GuestAddress?
    public var registers: InitialRegisters
    /// Where the image's bytes were placed (an initrd is in `initrd`, not here).
    public var imageRanges: [GuestRange]
    /// The VMM structures written for this boot.
    public var structures: [BootStructure]
    /// Linux boots: the zero page (`struct boot_params`), also passed in RSI.
    public var zeroPage: GuestAddress?
    /// Linux boots: where the initrd was placed, if one was given.
    public var initrd: GuestRange?
    /// Multiboot and PVH boots: where each module was placed (the initrd first, if
    /// one was given), in the order the guest's list has them.
    public var modules: [GuestRange] = []
    /// Where the ACPI RSDP is, when the VMM provides ACPI tables (`LoadOptions.acpi`):
    /// the zero page's acpi_rsdp_addr, and what a PVH start info's rsdp_paddr holds.
    public var rsdpAddress: GuestAddress? = nil

    public init(format: ImageFormat, mode: CPUMode, instructionPointer: UInt64, codeSegment: Segment,
                dataSegment: Segment, gdt: (base: UInt64, limit: UInt16)?, pageTableRoot: GuestAddress?,
                registers: InitialRegisters, imageRanges: [GuestRange], structures: [BootStructure],
                zeroPage: GuestAddress? = nil, initrd: GuestRange? = nil) {
        self.format = format
        self.mode = mode
        self.instructionPointer = instructionPointer
        self.codeSegment = codeSegment
        self.dataSegment = dataSegment
        self.gdt = gdt
        self.pageTableRoot = pageTableRoot
        self.registers = registers
        self.imageRanges = imageRanges
        self.structures = structures
        self.zeroPage = zeroPage
        self.initrd = initrd
    }

    public static func == (lhs: BootPlan, rhs: BootPlan) -> Bool {
        lhs.format == rhs.format && lhs.mode == rhs.mode && lhs.instructionPointer == rhs.instructionPointer
            && lhs.codeSegment == rhs.codeSegment && lhs.dataSegment == rhs.dataSegment
            && lhs.gdt?.base == rhs.gdt?.base && lhs.gdt?.limit == rhs.gdt?.limit
            && lhs.pageTableRoot == rhs.pageTableRoot && lhs.registers == rhs.registers
            && lhs.imageRanges == rhs.imageRanges && lhs.structures == rhs.structures
            && lhs.zeroPage == rhs.zeroPage && lhs.initrd == rhs.initrd && lhs.modules == rhs.modules
            && lhs.rsdpAddress == rhs.rsdpAddress
    }
}
