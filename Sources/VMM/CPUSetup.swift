import KVM
import Loader

/// Puts a vCPU in the state a boot plan asks for: mode, segments, GDT, paging
/// and the initial registers.
enum CPUSetup {
    static func apply(_ plan: BootPlan, to vcpu: VCPUFD) throws(KVMError) {
        var special = try vcpu.specialRegisters()
        special.cs = segmentRegister(plan.codeSegment)
        special.setDataSegments(segmentRegister(plan.dataSegment))
        if let gdt = plan.gdt { special.gdt = gdt }
        if plan.format == .pvh {
            // Xen's PVH ABI: TR a busy 32-bit TSS with base 0 and limit 0x67; CR4 = 0.
            var tr = special.tr
            tr.base = 0
            tr.limit = 0x67
            tr.type = 0xB
            tr.present = true
            tr.s = false
            tr.g = false
            tr.unusable = false
            special.tr = tr
            special.cr4 = 0
            special.cr0 = ControlBits.cr0ProtectionEnable | ControlBits.cr0ExtensionType
        }
        switch plan.mode {
        case .real:
            special.cr0 &= ~(ControlBits.cr0ProtectionEnable | ControlBits.cr0Paging)
        case .protected:
            special.cr0 = (special.cr0 | ControlBits.cr0ProtectionEnable | ControlBits.cr0ExtensionType)
                & ~ControlBits.cr0Paging
        case .long:
            special.cr3 = plan.pageTableRoot?.rawValue ?? 0
            special.cr4 |= ControlBits.cr4PAE
            special.efer |= ControlBits.eferLongModeEnable | ControlBits.eferLongModeActive
            special.cr0 |= ControlBits.cr0ProtectionEnable | ControlBits.cr0ExtensionType | ControlBits.cr0Paging
        }
        try vcpu.setSpecialRegisters(special)

        var registers = Registers()
        registers.rip = plan.instructionPointer
        registers.rax = plan.registers.rax
        registers.rbx = plan.registers.rbx
        registers.rcx = plan.registers.rcx
        registers.rdx = plan.registers.rdx
        registers.rsi = plan.registers.rsi
        registers.rdi = plan.registers.rdi
        registers.rsp = plan.registers.rsp
        registers.rbp = plan.registers.rbp
        registers.rflags = plan.registers.rflags | 0x2
        try vcpu.setRegisters(registers)
    }

    static func segmentRegister(_ segment: Segment) -> SegmentRegister {
        var register = SegmentRegister()
        register.base = segment.base
        register.limit = segment.limit
        register.selector = segment.selector
        register.type = segment.type
        register.present = segment.present
        register.dpl = segment.dpl
        register.db = segment.db
        register.s = segment.codeOrData
        register.l = segment.long
        register.g = segment.granularity
        return register
    }
}
