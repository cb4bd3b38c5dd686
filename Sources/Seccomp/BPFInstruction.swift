/// One classic BPF instruction, laid out like the kernel's `struct sock_filter`.
public struct BPFInstruction: Equatable, Sendable, CustomStringConvertible {
    public var code: UInt16
    public var jt: UInt8
    public var jf: UInt8
    public var k: UInt32

    public init(code: UInt16, jt: UInt8 = 0, jf: UInt8 = 0, k: UInt32) {
        self.code = code
        self.jt = jt
        self.jf = jf
        self.k = k
    }

    // Opcodes (linux/filter.h, linux/bpf_common.h), only those a seccomp filter needs.
    /// `BPF_LD | BPF_W | BPF_ABS`: A = 32-bit word at offset k of `seccomp_data`.
    public static let loadWord: UInt16 = 0x20
    /// `BPF_ALU | BPF_AND | BPF_K`: A &= k.
    public static let andConstant: UInt16 = 0x54
    /// `BPF_JMP | BPF_JEQ | BPF_K`: A == k ? jt : jf.
    public static let jumpIfEqual: UInt16 = 0x15
    /// `BPF_JMP | BPF_JGE | BPF_K`: A >= k ? jt : jf.
    public static let jumpIfGreaterOrEqual: UInt16 = 0x35
    /// `BPF_RET | BPF_K`: return k.
    public static let returnConstant: UInt16 = 0x06

    public static func load(offset: UInt32) -> BPFInstruction { BPFInstruction(code: loadWord, k: offset) }
    public static func and(_ mask: UInt32) -> BPFInstruction { BPFInstruction(code: andConstant, k: mask) }
    public static func jumpIfEqual(_ value: UInt32, then jt: UInt8, else jf: UInt8) -> BPFInstruction {
        BPFInstruction(code: jumpIfEqual, jt: jt, jf: jf, k: value)
    }
    public static func jumpIfGreaterOrEqual(_ value: UInt32, then jt: UInt8, else jf: UInt8) -> BPFInstruction {
        BPFInstruction(code: jumpIfGreaterOrEqual, jt: jt, jf: jf, k: value)
    }
    public static func ret(_ value: UInt32) -> BPFInstruction { BPFInstruction(code: returnConstant, k: value) }

    public var description: String {
        let hex = "0x" + String(k, radix: 16)
        switch code {
        case Self.loadWord: return "ld [\(k)]"
        case Self.andConstant: return "and \(hex)"
        case Self.jumpIfEqual: return "jeq \(hex) +\(jt) +\(jf)"
        case Self.jumpIfGreaterOrEqual: return "jge \(hex) +\(jt) +\(jf)"
        case Self.returnConstant: return "ret \(hex)"
        default: return "op \(code) \(jt) \(jf) \(hex)"
        }
    }
}

/// Offsets of the fields of the kernel's `struct seccomp_data`, which a filter reads.
public enum SeccompData {
    public static let number: UInt32 = 0
    public static let architecture: UInt32 = 4
    /// The low 32 bits of argument `index` (x86_64 is little-endian).
    public static func argumentLow(_ index: Int) -> UInt32 { 16 + 8 * UInt32(index) }
    /// The high 32 bits of argument `index`.
    public static func argumentHigh(_ index: Int) -> UInt32 { 20 + 8 * UInt32(index) }
    /// `AUDIT_ARCH_X86_64`: EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE.
    public static let auditArchX86_64: UInt32 = 0xC000_003E
    /// Set in the number of an x32-ABI call (`__X32_SYSCALL_BIT`): refused.
    public static let x32SyscallBit: UInt32 = 0x4000_0000
}
