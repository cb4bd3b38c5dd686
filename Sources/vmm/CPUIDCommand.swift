import ArgumentParser
import CPUModel
import VMM

/// `vmm cpuid`: the CPUID table a guest would get, and each named feature on or off.
struct CPUIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpuid",
        abstract: "Print the guest CPUID table a policy gives on this host, and every named feature on or off.",
        discussion: """
            Lines "cpuid LEAF.SUBLEAF EAX EBX ECX EDX" (hex) are the table, in the form the cpuid.elf \
            test guest prints; lines "feature NAME on|off ..." list the named features. Exit status 2 when \
            the policy cannot be applied (e.g. adding a feature KVM does not support).
            """)

    @OptionGroup var cpu: CPUOptions

    @Option(help: ArgumentHelp("Show the table of this vCPU (its APIC ID).", valueName: "n"))
    var vcpu: UInt32 = 0

    @Option(name: .customLong("kvm"), help: ArgumentHelp("The KVM device.", valueName: "path"))
    var kvmPath: String = "/dev/kvm"

    func run() throws {
        let policy = try cpu.policy()
        let result: CPUIDPolicyResult
        do {
            result = try GuestCPUID.resolve(policy, kvmPath: kvmPath)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        print(CPUIDReport.lines(result, vcpu: vcpu).joined(separator: "\n"))
    }
}
