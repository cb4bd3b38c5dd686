import Foundation
import KVM
import Testing
import VMM

@Suite struct LifecycleTests {
    @Test(requiresKVM) func pauseResumeAndStop() throws {
        // Real mode: `1: out %al, $0x10; jmp 1b`, an endless stream of port exits.
        let machine = try VirtualMachine(configuration: {
            var configuration = MachineConfiguration()
            configuration.memorySize = 16 << 20
            configuration.kernel = .bytes([0xE6, 0x10, 0xEB, 0xFC], name: "outloop")
            configuration.flat = .init(address: .init(0x7C00), mode: .real)
            return configuration
        }())
        #expect(machine.vcpuStates == [.created])
        try machine.start()
        #expect(throws: VMMError.self) { try machine.start() }
        Thread.sleep(forTimeInterval: 0.2)
        try machine.pause()
        #expect(machine.vcpuStates == [.paused])
        machine.resume()
        Thread.sleep(forTimeInterval: 0.1)
        #expect(machine.vcpuStates == [.running])
        machine.requestStop(.stopRequested)
        #expect(machine.wait(timeout: 10) == .stopRequested)
        #expect(machine.vcpuStates == [.stopped])
        let report = machine.report()
        #expect(report.exits(port: 0x10) > 10)
    }

    @Test(requiresKVM) func timeoutThroughTheLibrary() throws {
        let machine = try VirtualMachine(configuration: {
            var configuration = MachineConfiguration()
            configuration.memorySize = 16 << 20
            configuration.kernel = .bytes([0xEB, 0xFE], name: "spin")
            configuration.flat = .init(address: .init(0x7C00), mode: .real)
            return configuration
        }())
        try machine.start()
        #expect(machine.wait(timeout: 0.3) == .timeout(seconds: 0.3))
    }

    @Test func missingKVMDeviceIsNamed() {
        #expect(throws: KVMError.deviceMissing(path: "/nonexistent/kvm")) { try KVMSystem(path: "/nonexistent/kvm") }
        var configuration = MachineConfiguration()
        configuration.kvmPath = "/nonexistent/kvm"
        do {
            _ = try VirtualMachine(configuration: configuration)
            Issue.record("built a VM without KVM")
        } catch {
            #expect("\(error)".contains("/nonexistent/kvm does not exist"))
        }
    }

    @Test func aFileThatIsNotKVMFailsTheVersionCheck() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-kvm-\(getpid())").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data([0])))
        do {
            _ = try KVMSystem(path: path)
            Issue.record("opened a plain file as KVM")
        } catch let error {
            #expect(error.description.contains("KVM_GET_API_VERSION failed"))
        }
    }

    /// A guest idling in HLT with interrupts on (serial_rx waiting for input that
    /// never comes) is inspected by the halt monitor now and then; pausing it must
    /// still return promptly, and the VM must not be ended as halted.
    @Test(requiresKVM) func pauseWhileTheGuestIdlesInHLT() throws {
        let path = try Environment.guest("serial_rx.elf")
        let machine = try VirtualMachine(configuration: {
            var configuration = MachineConfiguration()
            configuration.memorySize = 16 << 20
            configuration.kernel = .file(path: path)
            configuration.serialOutput = CapturedSerialOutput()
            return configuration
        }())
        try machine.start()
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: 0.1)
            try machine.pause()
            #expect(machine.vcpuStates == [.paused])
            machine.resume()
        }
        machine.requestStop(.stopRequested)
        #expect(machine.wait(timeout: 10) == .stopRequested)
    }
}
