import Memory

/// Builds the `BootPlan` for each CPU mode from a checked `LoadPlan`.
extension BootPlan {
    /// Protected or long mode: flat segments from the VMM's GDT, the stack pointer at
    /// the top of `BootLayout.stack`, and in long mode CR3 at the identity map.
    /// `registers` carries format-specific values (EAX/EBX for multiboot).
    init(format: ImageFormat, pagedMode mode: CPUMode, entry: UInt64, registers: InitialRegisters = InitialRegisters(),
         load: LoadPlan) {
        var registers = registers
        registers.rsp = BootLayout.stack.end
        let long = mode == .long
        self.init(
            format: format, mode: mode, instructionPointer: entry,
            codeSegment: long ? BootLayout.code64 : BootLayout.flatCode32,
            dataSegment: long ? BootLayout.data64 : BootLayout.flatData32,
            gdt: (base: BootLayout.gdt.start.rawValue, limit: BootStructures.gdtLimit),
            pageTableRoot: long ? BootLayout.pml4 : nil,
            registers: registers, imageRanges: load.imageRanges, structures: load.bootStructures)
    }

    /// The Linux 64-bit boot protocol: long mode on the identity map, CS = `__BOOT_CS`
    /// (0x10) and DS = ES = SS = `__BOOT_DS` (0x18) from the Linux GDT, RSI = the zero
    /// page, interrupts off (RFLAGS = 0x2), the other registers zero except RSP, which
    /// points at the top of the VMM's stack page (the protocol asks for no stack).
    init(format: ImageFormat, linuxEntry entry: UInt64, initrd: GuestRange?, load: LoadPlan) {
        var registers = InitialRegisters()
        registers.rsi = BootLayout.bootInfo.start.rawValue
        registers.rsp = BootLayout.stack.end
        self.init(
            format: format, mode: .long, instructionPointer: entry,
            codeSegment: BootLayout.linuxCode64, dataSegment: BootLayout.linuxData,
            gdt: (base: BootLayout.gdt.start.rawValue, limit: BootStructures.linuxGDTLimit),
            pageTableRoot: BootLayout.pml4, registers: registers,
            imageRanges: load.imageRanges, structures: load.bootStructures,
            zeroPage: BootLayout.bootInfo.start, initrd: initrd)
    }

    /// Real mode at `address`: CS = DS = ES = SS = `selector`, IP = SP = `address - selector * 16`.
    init(format: ImageFormat, realModeAt address: UInt64, selector: UInt16, load: LoadPlan) {
        let offset = address - (UInt64(selector) << 4)
        var registers = InitialRegisters()
        registers.rsp = offset
        self.init(
            format: format, mode: .real, instructionPointer: offset,
            codeSegment: .real(selector: selector, code: true),
            dataSegment: .real(selector: selector, code: false),
            gdt: nil, pageTableRoot: nil,
            registers: registers, imageRanges: load.imageRanges, structures: load.bootStructures)
    }
}
