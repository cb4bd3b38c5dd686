import CKVM

/// The general-purpose registers of a vCPU (KVM_GET_REGS / KVM_SET_REGS).
public struct Registers: Sendable, Equatable {
    public var rax: UInt64 = 0, rbx: UInt64 = 0, rcx: UInt64 = 0, rdx: UInt64 = 0
    public var rsi: UInt64 = 0, rdi: UInt64 = 0, rsp: UInt64 = 0, rbp: UInt64 = 0
    public var r8: UInt64 = 0, r9: UInt64 = 0, r10: UInt64 = 0, r11: UInt64 = 0
    public var r12: UInt64 = 0, r13: UInt64 = 0, r14: UInt64 = 0, r15: UInt64 = 0
    public var rip: UInt64 = 0
    public var rflags: UInt64 = 0x2

    public init() {}

    init(_ r: kvm_regs) {
        rax = r.rax; rbx = r.rbx; rcx = r.rcx; rdx = r.rdx
        rsi = r.rsi; rdi = r.rdi; rsp = r.rsp; rbp = r.rbp
        r8 = r.r8; r9 = r.r9; r10 = r.r10; r11 = r.r11
        r12 = r.r12; r13 = r.r13; r14 = r.r14; r15 = r.r15
        rip = r.rip; rflags = r.rflags
    }

    var raw: kvm_regs {
        var r = kvm_regs()
        r.rax = rax; r.rbx = rbx; r.rcx = rcx; r.rdx = rdx
        r.rsi = rsi; r.rdi = rdi; r.rsp = rsp; r.rbp = rbp
        r.r8 = r8; r.r9 = r9; r.r10 = r10; r.r11 = r11
        r.r12 = r12; r.r13 = r13; r.r14 = r14; r.r15 = r15
        r.rip = rip; r.rflags = rflags
        return r
    }
}

/// A segment register with its hidden descriptor state.
public struct SegmentRegister: Sendable, Equatable {
    public var base: UInt64 = 0
    public var limit: UInt32 = 0xFFFF
    public var selector: UInt16 = 0
    public var type: UInt8 = 0
    public var present: Bool = true
    public var dpl: UInt8 = 0
    public var db: Bool = false
    public var s: Bool = true
    public var l: Bool = false
    public var g: Bool = false
    public var unusable: Bool = false

    public init() {}

    init(_ s: kvm_segment) {
        base = s.base; limit = s.limit; selector = s.selector; type = s.type
        present = s.present != 0; dpl = s.dpl; db = s.db != 0; self.s = s.s != 0
        l = s.l != 0; g = s.g != 0; unusable = s.unusable != 0
    }

    var raw: kvm_segment {
        var r = kvm_segment()
        r.base = base; r.limit = limit; r.selector = selector; r.type = type
        r.present = present ? 1 : 0; r.dpl = dpl; r.db = db ? 1 : 0; r.s = s ? 1 : 0
        r.l = l ? 1 : 0; r.g = g ? 1 : 0; r.unusable = unusable ? 1 : 0
        return r
    }
}

/// The system registers of a vCPU (KVM_GET_SREGS / KVM_SET_SREGS). Wraps the raw
/// structure so that fields this type does not expose (the pending interrupt
/// bitmap, LDT, TR) round-trip unchanged.
public struct SpecialRegisters: Sendable {
    var raw: kvm_sregs

    init(raw: kvm_sregs) { self.raw = raw }

    public var cs: SegmentRegister { get { .init(raw.cs) } set { raw.cs = newValue.raw } }
    public var ds: SegmentRegister { get { .init(raw.ds) } set { raw.ds = newValue.raw } }
    public var es: SegmentRegister { get { .init(raw.es) } set { raw.es = newValue.raw } }
    public var fs: SegmentRegister { get { .init(raw.fs) } set { raw.fs = newValue.raw } }
    public var gs: SegmentRegister { get { .init(raw.gs) } set { raw.gs = newValue.raw } }
    public var ss: SegmentRegister { get { .init(raw.ss) } set { raw.ss = newValue.raw } }
    /// The task register (its hidden part: a PVH entry wants a 32-bit TSS, limit 0x67).
    public var tr: SegmentRegister { get { .init(raw.tr) } set { raw.tr = newValue.raw } }

    public var cr0: UInt64 { get { raw.cr0 } set { raw.cr0 = newValue } }
    public var cr2: UInt64 { get { raw.cr2 } set { raw.cr2 = newValue } }
    public var cr3: UInt64 { get { raw.cr3 } set { raw.cr3 = newValue } }
    public var cr4: UInt64 { get { raw.cr4 } set { raw.cr4 = newValue } }
    public var efer: UInt64 { get { raw.efer } set { raw.efer = newValue } }
    public var apicBase: UInt64 { get { raw.apic_base } set { raw.apic_base = newValue } }

    public var gdt: (base: UInt64, limit: UInt16) {
        get { (raw.gdt.base, raw.gdt.limit) }
        set { raw.gdt.base = newValue.base; raw.gdt.limit = newValue.limit }
    }
    public var idt: (base: UInt64, limit: UInt16) {
        get { (raw.idt.base, raw.idt.limit) }
        set { raw.idt.base = newValue.base; raw.idt.limit = newValue.limit }
    }

    /// Loads DS, ES, FS, GS and SS with the same segment.
    public mutating func setDataSegments(_ segment: SegmentRegister) {
        ds = segment; es = segment; fs = segment; gs = segment; ss = segment
    }
}

/// Control register and EFER bits the VMM sets when entering a guest.
public enum ControlBits {
    public static let cr0ProtectionEnable: UInt64 = 1 << 0
    public static let cr0ExtensionType: UInt64 = 1 << 4
    public static let cr0Paging: UInt64 = 1 << 31
    public static let cr4PAE: UInt64 = 1 << 5
    public static let eferLongModeEnable: UInt64 = 1 << 8
    public static let eferLongModeActive: UInt64 = 1 << 10
}
