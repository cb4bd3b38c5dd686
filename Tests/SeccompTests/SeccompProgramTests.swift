import CKVM
import Testing
@testable import Seccomp

@Suite("Seccomp BPF programs (pure)")
struct SeccompProgramTests {
    let allow = SeccompAction.allowValue
    let kill = SeccompAction.killProcess.returnValue

    func run(_ kind: ThreadKind, _ syscall: Syscall, _ arguments: [UInt64] = [],
             action: SeccompAction = .killProcess) throws -> UInt32 {
        try BPFInterpreter.run(SeccompFilter(kind, action: action).program, number: syscall.rawValue,
                               arguments: arguments)
    }

    @Test("Another architecture (i386 int 0x80) kills the process, whatever the action")
    func wrongArchitecture() throws {
        for kind in ThreadKind.allCases {
            let program = try SeccompFilter(kind, action: .errno(1)).program
            let result = try BPFInterpreter.run(program, number: Syscall.futex.rawValue, architecture: 0x4000_0003)
            #expect(result == kill, "\(kind)")
        }
    }

    @Test("x32 system call numbers are refused")
    func x32() throws {
        let program = try SeccompFilter(.control, action: .errno(1)).program
        let number = Syscall.futex.rawValue | SeccompData.x32SyscallBit
        #expect(try BPFInterpreter.run(program, number: number) == SeccompAction.errno(1).returnValue)
    }

    @Test("Every kind allows its runtime calls and refuses exec, fork, ptrace, mount")
    func runtimeAndForbidden() throws {
        for kind in ThreadKind.allCases {
            for call in [Syscall.futex, .mmap, .munmap, .madvise, .write, .exit, .clock_gettime] {
                #expect(try run(kind, call) == allow, "\(kind) \(call)")
            }
            for call in [Syscall.execve, .execveat, .fork, .vfork, .ptrace, .mount, .kexec_load, .bpf,
                         .process_vm_writev, .setuid, .init_module] {
                #expect(try run(kind, call) == kill, "\(kind) \(call)")
                #expect(try run(kind, call, action: .errno(1)) == 0x0005_0001, "\(kind) \(call)")
            }
        }
    }

    @Test("A vCPU thread may issue KVM_RUN and its few run-time ioctls, nothing else")
    func vcpuIoctls() throws {
        #expect(try run(.vcpu, .ioctl, [5, UInt64(CKVM_RUN)]) == allow)
        #expect(try run(.vcpu, .ioctl, [5, UInt64(CKVM_GET_REGS)]) == allow)
        // A request sign-extended to 64 bits is judged by its low 32 bits, as the kernel does.
        #expect(try run(.vcpu, .ioctl, [5, 0xFFFF_FFFF_0000_0000 | UInt64(CKVM_GET_REGS)]) == allow)
        for request in [CKVM_SET_USER_MEMORY_REGION, CKVM_CREATE_VCPU, CKVM_SET_CPUID2, CKVM_IRQFD, 0x5401] {
            #expect(try run(.vcpu, .ioctl, [5, UInt64(request)]) == kill, "request \(request)")
        }
        for call in [Syscall.socket, .openat, .connect, .clone] {
            #expect(try run(.vcpu, call) == kill, "\(call)")
        }
    }

    @Test("KVMRequest numbers match <linux/kvm.h>")
    func requestNumbers() {
        #expect(UInt(KVMRequest.run) == CKVM_RUN)
        #expect(UInt(KVMRequest.getRegisters) == CKVM_GET_REGS)
        #expect(UInt(KVMRequest.setRegisters) == CKVM_SET_REGS)
        #expect(UInt(KVMRequest.getSpecialRegisters) == CKVM_GET_SREGS)
        #expect(UInt(KVMRequest.setSpecialRegisters) == CKVM_SET_SREGS)
        #expect(UInt(KVMRequest.getMPState) == CKVM_GET_MP_STATE)
        #expect(UInt(KVMRequest.translate) == CKVM_TRANSLATE)
    }

    @Test("Only the control threads open files, create sockets or threads")
    func controlOnly() throws {
        #expect(try run(.control, .openat) == allow)
        #expect(try run(.control, .ioctl, [3, UInt64(CKVM_CREATE_VM)]) == allow)
        #expect(try run(.apiEventLoop, .openat) == kill)
        #expect(try run(.apiEventLoop, .socket) == kill)
        #expect(try run(.apiEventLoop, .ioctl) == kill)
        #expect(try run(.io, .ioctl) == kill)
        #expect(try run(.apiEventLoop, .accept4) == allow)
    }

    @Test("clone only for threads; clone3 answers ENOSYS so the C library falls back to clone")
    func cloneRules() throws {
        let threadFlags: UInt64 = 0x003D_0F00  // what glibc's pthread_create passes
        #expect(try run(.control, .clone, [threadFlags]) == allow)
        #expect(try run(.control, .clone, [0x11]) == kill)  // fork-like: SIGCHLD only
        #expect(try run(.control, .clone3, []) == 0x0005_0000 | 38)
        #expect(try run(.vcpu, .clone, [threadFlags]) == kill)
        // swift-nio hands its shutdown callback to Dispatch from the event loop thread,
        // which may start a Dispatch worker there.
        #expect(try run(.apiEventLoop, .clone, [threadFlags]) == allow)
        #expect(try run(.apiEventLoop, .clone, [0x11]) == kill)
        #expect(try run(.io, .clone, [threadFlags]) == kill)
    }

    @Test("prctl and seccomp only as needed to install a child's filter")
    func prctlRules() throws {
        #expect(try run(.control, .prctl, [38, 1]) == allow)
        #expect(try run(.control, .prctl, [22, 2]) == kill)  // PR_SET_SECCOMP
        #expect(try run(.control, .seccomp, [1, 0]) == allow)
        #expect(try run(.control, .seccomp, [0, 0]) == kill)
    }

    @Test("Argument checks: 64-bit values, masks, several alternatives")
    func argumentChecks() throws {
        let rules = [
            SyscallRule(.mmap, alternatives: [[ArgumentCheck(index: 2, value: 0x1_0000_0003)],
                                              [.hasBits(3, 0x20), .low32(4, equals: 7)]]),
        ]
        let program = try SeccompProgram.build(rules: rules, action: .errno(13))
        let mmap = Syscall.mmap.rawValue
        let refused = SeccompAction.errno(13).returnValue
        #expect(try BPFInterpreter.run(program, number: mmap, arguments: [0, 0, 0x1_0000_0003]) == allow)
        #expect(try BPFInterpreter.run(program, number: mmap, arguments: [0, 0, 0x2_0000_0003]) == refused)
        #expect(try BPFInterpreter.run(program, number: mmap, arguments: [0, 0, 3]) == refused)
        #expect(try BPFInterpreter.run(program, number: mmap, arguments: [0, 0, 0, 0x22, 7]) == allow)
        #expect(try BPFInterpreter.run(program, number: mmap, arguments: [0, 0, 0, 0x2, 7]) == refused)
        #expect(try BPFInterpreter.run(program, number: mmap, arguments: [0, 0, 0, 0x20, 8]) == refused)
        #expect(try BPFInterpreter.run(program, number: Syscall.read.rawValue) == refused)
    }

    @Test("A rule too large for a BPF jump is an error, not a wrong program")
    func ruleTooLarge() {
        let rule = SyscallRule.allow(.ioctl, argument: 1, oneOf: (0..<200).map { UInt32($0) })
        #expect(throws: SeccompError.ruleTooLarge(syscall: .ioctl, instructions: 601)) {
            try SeccompProgram.build(rules: [rule], action: .killProcess)
        }
    }

    @Test("Actions encode as the kernel expects; names parse")
    func actions() {
        #expect(SeccompAction.killProcess.returnValue == 0x8000_0000)
        #expect(SeccompAction.errno(1).returnValue == 0x0005_0001)
        #expect(SeccompAction.trap.returnValue == 0x0003_0000)
        #expect(SeccompAction.log.returnValue == 0x7FFC_0000)
        #expect(SeccompAction(name: "kill") == .killProcess)
        #expect(SeccompAction(name: "errno") == .errno(1))
        #expect(SeccompAction(name: "nope") == nil)
    }

    @Test("Syscall numbers are the x86_64 ones")
    func numbers() {
        #expect(Syscall.read.rawValue == 0)
        #expect(Syscall.ioctl.rawValue == 16)
        #expect(Syscall.execve.rawValue == 59)
        #expect(Syscall.seccomp.rawValue == 317)
        #expect(Syscall.clone3.rawValue == 435)
    }
}
