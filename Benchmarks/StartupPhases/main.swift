// Where a VM's start-up goes inside the process, with the VMM library alone (no
// command line, no process start): building the VM (KVM, memory, kernel load,
// vCPU set-up), running the guest to its exit, and tearing it down.
//
//   StartupPhases KERNEL [ROUNDS]
//
// Prints one line per round: build_ns=B run_ns=R guest_ns=G teardown_ns=T, where
// G is the VM's own wall time (vCPU start to VM end). The first round includes
// one-time costs (first use of KVM and of Swift metadata in the process).
import Devices
import VMM

#if canImport(Glibc)
import Glibc
#endif

func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}

struct DiscardedSerialOutput: SerialOutput {
    func write(byte: UInt8) {}
}

func fail(_ message: String) -> Never {
    let line = "StartupPhases: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count >= 2, let rounds = arguments.count > 2 ? Int(arguments[2]) : 10, rounds > 0 else {
    fail("usage: StartupPhases KERNEL [ROUNDS]")
}

for _ in 0..<rounds {
    var configuration = MachineConfiguration()
    configuration.memorySize = 64 << 20
    configuration.kernel = .file(path: arguments[1])
    configuration.serialOutput = DiscardedSerialOutput()
    let start = now()
    var machine: VirtualMachine?
    do {
        machine = try VirtualMachine(configuration: configuration)
    } catch {
        fail("\(error)")
    }
    let built = now()
    do { try machine?.start() } catch { fail("\(error)") }
    let reason = machine?.wait(timeout: 30)
    let ran = now()
    let guest = machine?.report().wallNanoseconds ?? 0
    machine = nil
    let tornDown = now()
    guard reason?.exitStatus == 1 else { fail("the guest ended with \(reason?.summary ?? "?")") }
    print("build_ns=\(built - start) run_ns=\(ran - built) guest_ns=\(guest) teardown_ns=\(tornDown - ran)")
}
