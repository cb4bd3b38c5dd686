import Foundation
import Testing
import VMM

/// `VirtualMachine.sendCtrlAltDel()` against Guests/multiboot/kbd_cad.c: the guest
/// reads the scan codes by interrupt and, on Ctrl-Alt-Delete, resets the machine
/// through the i8042 the way Linux reboots.
@Suite(requiresKVM) struct KeyboardGuestTests {
    /// Waits (polling) until `output` contains `text`, at most `timeout` seconds.
    private func waitFor(_ text: String, in output: CapturedSerialOutput, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.text.contains(text) { return true }
            usleep(5_000)
        }
        return output.text.contains(text)
    }

    @Test(arguments: [
        ("", "kbd: IRQ 1 through the PIC\nkbd: scan code set 1\n", ["1d", "38", "e0", "53"]),
        ("irq=ioapic", "kbd: IRQ 1 through IOAPIC pin 1 (MP table)\nkbd: scan code set 1\n", ["1d", "38", "e0", "53"]),
        ("set=2", "kbd: IRQ 1 through the PIC\nkbd: scan code set 2\n", ["14", "11", "e0", "71"]),
    ])
    func ctrlAltDelResetsTheGuest(commandLine: String, header: String, codes: [String]) throws {
        let output = CapturedSerialOutput()
        var configuration = MachineConfiguration()
        configuration.memorySize = 64 << 20
        configuration.serialOutput = output
        configuration.kernel = .file(path: try Environment.guest("kbd_cad.elf"))
        configuration.commandLine = commandLine
        let machine = try VirtualMachine(configuration: configuration)
        #expect(throws: VMMError.self, "keys before start are refused") { try machine.sendCtrlAltDel() }
        try machine.start()
        guard waitFor("kbd: ready\n", in: output, timeout: 20) else {
            machine.stop()
            Issue.record("the guest never got ready: \(output.text)")
            return
        }
        try machine.sendCtrlAltDel()
        let reason = machine.wait(timeout: 20)
        let scancodes = codes.map { "kbd: scancode 0x\($0)\n" }.joined()
        #expect(output.text == header + "kbd: ready\n" + scancodes + "kbd: ctrl-alt-del\n")
        #expect(reason == .reset(vcpu: 0))
        #expect(reason.exitStatus == 0)
    }

    @Test func stopEndsARunningGuest() throws {
        let output = CapturedSerialOutput()
        var configuration = MachineConfiguration()
        configuration.memorySize = 64 << 20
        configuration.serialOutput = output
        configuration.kernel = .file(path: try Environment.guest("kbd_cad.elf"))
        let machine = try VirtualMachine(configuration: configuration)
        try machine.start()
        #expect(waitFor("kbd: ready\n", in: output, timeout: 20))
        #expect(machine.stop() == .stopRequested)
        #expect(machine.vcpuStates.allSatisfy { $0 == .stopped })
        #expect(machine.stop() == .stopRequested, "a second stop returns the same reason")
        #expect(throws: VMMError.self, "keys after the end are refused") { try machine.sendCtrlAltDel() }
    }
}
