@testable import Seccomp

/// A tiny classic-BPF interpreter for the instructions a seccomp filter uses, so the
/// tests can run a program against a made-up `seccomp_data`.
struct BPFInterpreter {
    enum Failure: Error { case badInstruction(Int, BPFInstruction), ranOff, badLoad(UInt32) }

    /// `seccomp_data`: number, architecture, instruction pointer, six arguments.
    static func run(_ program: [BPFInstruction], number: UInt32, arguments: [UInt64] = [],
                    architecture: UInt32 = SeccompData.auditArchX86_64) throws -> UInt32 {
        var data = [UInt32](repeating: 0, count: 16)
        data[0] = number
        data[1] = architecture
        for (index, argument) in arguments.prefix(6).enumerated() {
            data[4 + 2 * index] = UInt32(truncatingIfNeeded: argument)
            data[5 + 2 * index] = UInt32(truncatingIfNeeded: argument >> 32)
        }
        var accumulator: UInt32 = 0
        var pc = 0
        while pc < program.count {
            let instruction = program[pc]
            switch instruction.code {
            case BPFInstruction.loadWord:
                guard instruction.k % 4 == 0, Int(instruction.k / 4) < data.count else { throw Failure.badLoad(instruction.k) }
                accumulator = data[Int(instruction.k / 4)]
                pc += 1
            case BPFInstruction.andConstant:
                accumulator &= instruction.k
                pc += 1
            case BPFInstruction.jumpIfEqual:
                pc += 1 + Int(accumulator == instruction.k ? instruction.jt : instruction.jf)
            case BPFInstruction.jumpIfGreaterOrEqual:
                pc += 1 + Int(accumulator >= instruction.k ? instruction.jt : instruction.jf)
            case BPFInstruction.returnConstant:
                return instruction.k
            default:
                throw Failure.badInstruction(pc, instruction)
            }
        }
        throw Failure.ranOff
    }
}
