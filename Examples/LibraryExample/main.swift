// The VMM library's life cycle in one page: build a VirtualMachine from a
// MachineConfiguration, start it, pause, resume, wait, and print the report.
//
//     swift run LibraryExample               # the built-in demo guest
//     swift run LibraryExample guest.elf     # a kernel: multiboot, ELF, bzImage
//     swift run LibraryExample guest.elf DIR [CMDLINE]   # ... a snapshot into DIR while paused
//
// Exits with the VM's exit status (StopReason.exitStatus); 1 if it cannot be built.
import VMM

#if canImport(Glibc)
import Glibc
#endif

func printError(_ text: String) {
    let line = Array("LibraryExample: \(text)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

var configuration = MachineConfiguration()
configuration.memorySize = 64 << 20
if CommandLine.arguments.count > 1 {
    configuration.kernel = .file(path: CommandLine.arguments[1])
}
if CommandLine.arguments.count > 3 {
    configuration.commandLine = CommandLine.arguments[3]
}

let machine: VirtualMachine
do {
    machine = try VirtualMachine(configuration: configuration)   // builds; nothing runs yet
    try machine.start()                                           // one thread per vCPU
    try machine.pause()                                           // every vCPU parked at an exit
    print("paused: vCPU states \(machine.vcpuStates.map { "\($0)" }.joined(separator: ", "))")
    if CommandLine.arguments.count > 2 {                          // a directory: snapshot there
        let directory = CommandLine.arguments[2]
        try machine.createSnapshot(statePath: directory + "/vm.state", memoryPath: directory + "/vm.mem")
        print("snapshot: \(directory)/vm.state, \(directory)/vm.mem")
    }
    machine.resume()
} catch {
    printError(error.description)
    exit(1)
}

let reason = machine.wait(timeout: 30)                            // or machine.stop()
print("stopped: \(reason.summary)")
print(machine.report().table(portRanges: machine.portDevices))
exit(reason.exitStatus)
