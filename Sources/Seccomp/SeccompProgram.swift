/// Builds the BPF program of an allow-list. Pure: no system call, testable anywhere.
///
/// Layout: check the architecture (anything but x86_64 kills the process, since an
/// `int 0x80` call would be read with i386 numbers), refuse x32-ABI numbers, then one
/// block per rule: `jeq number` skips the block when it is another call; inside, each
/// alternative's checks fall through to `ret ALLOW` or jump to the next alternative;
/// after the last one, the default action. Frequent calls should come first.
public enum SeccompProgram {
    /// The kernel's limit on a filter's length (`BPF_MAXINSNS`).
    public static let maximumLength = 4096

    public static func build(rules: [SyscallRule], action: SeccompAction) throws(SeccompError) -> [BPFInstruction] {
        let refuse = action.returnValue
        var program: [BPFInstruction] = [
            .load(offset: SeccompData.architecture),
            .jumpIfEqual(SeccompData.auditArchX86_64, then: 1, else: 0),
            .ret(SeccompAction.killProcess.returnValue),
            .load(offset: SeccompData.number),
            .jumpIfGreaterOrEqual(SeccompData.x32SyscallBit, then: 0, else: 1),
            .ret(refuse),
        ]
        for rule in rules {
            let body = block(for: rule, refuse: refuse)
            guard body.count <= 255 else { throw .ruleTooLarge(syscall: rule.syscall, instructions: body.count) }
            program.append(.jumpIfEqual(rule.syscall.rawValue, then: 0, else: UInt8(body.count)))
            program += body
        }
        program.append(.ret(refuse))
        guard program.count <= maximumLength else { throw .programTooLarge(instructions: program.count) }
        return program
    }

    /// The instructions run when the call number matched (the accumulator holds it).
    private static func block(for rule: SyscallRule, refuse: UInt32) -> [BPFInstruction] {
        let accept: UInt32
        switch rule.outcome {
        case .allow: accept = SeccompAction.allowValue
        case .fail(let errno): accept = SeccompAction.errno(errno).returnValue
        }
        guard !rule.alternatives.isEmpty else { return [.ret(accept)] }
        var body: [BPFInstruction] = [.ret(refuse)]
        // Built back to front, so each failed check knows how far the next alternative is.
        for checks in rule.alternatives.reversed() {
            var alternative: [BPFInstruction] = [.ret(accept)]
            for check in checks.reversed() {
                for (offset, mask, value) in words(of: check).reversed() {
                    // On mismatch skip the rest of this alternative (already built).
                    let skip = UInt8(clamping: alternative.count)
                    var step: [BPFInstruction] = [.load(offset: offset)]
                    if mask != 0xFFFF_FFFF { step.append(.and(mask)) }
                    step.append(.jumpIfEqual(value, then: 0, else: skip))
                    alternative = step + alternative
                }
            }
            body = alternative + body
        }
        return body
    }

    /// The 32-bit words a check compares: (offset, mask, value), low word first.
    private static func words(of check: ArgumentCheck) -> [(UInt32, UInt32, UInt32)] {
        var words: [(UInt32, UInt32, UInt32)] = []
        let lowMask = UInt32(truncatingIfNeeded: check.mask)
        let highMask = UInt32(truncatingIfNeeded: check.mask >> 32)
        if lowMask != 0 {
            words.append((SeccompData.argumentLow(check.index), lowMask, UInt32(truncatingIfNeeded: check.value)))
        }
        if highMask != 0 {
            words.append((SeccompData.argumentHigh(check.index), highMask,
                          UInt32(truncatingIfNeeded: check.value >> 32)))
        }
        return words
    }
}
