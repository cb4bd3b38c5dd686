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
