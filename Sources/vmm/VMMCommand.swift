import ArgumentParser

@main
struct VMMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vmm",
        abstract: "swift-vmm: a virtual machine monitor for Linux KVM that accounts for every VM exit.",
        discussion: """
            With no kernel, boots a built-in demo guest and prints its exit profile.
            Exit status: the guest's debug-exit status ((V << 1) | 1, odd), 0 for a clean end \
            (HLT, power-off), 2 setup error, 4 guest crash (triple fault), 6 KVM could not go on, \
            8 --strict-io violation, 124 timeout, 128+N signal N.
            """,
        subcommands: [Run.self, Demo.self, CPUIDCommand.self, LabCommand.self, SnapshotRebase.self, JailCommand.self,
                      JailStage2.self, SeccompProbe.self],
        defaultSubcommand: Run.self)
}
