@testable import vmm
import Loader
import Testing
import VMM

@Suite struct ArgumentTests {
    @Test func parsesAMultibootRun() throws {
        let options = try RunOptions.parse(["--kernel", "g.elf", "--memory", "64M", "--cmdline", "n=5", "--stats"])
        let configuration = try options.machineConfiguration()
        #expect(configuration.memorySize == 64 << 20)
        #expect(configuration.commandLine == "n=5")
        #expect(configuration.flat == nil)
        #expect(options.stats)
    }

    @Test func parsesFlatImages() throws {
        let options = try RunOptions.parse(["--kernel", "r.bin", "--flat", "0x7c00", "--mode", "real"])
        let configuration = try options.machineConfiguration()
        #expect(configuration.flat?.address.rawValue == 0x7C00)
        #expect(configuration.flat?.mode == .real)
        let decimal = try RunOptions.parse(["--kernel", "r.bin", "--flat", "1048576"]).machineConfiguration()
        #expect(decimal.flat?.address.rawValue == 0x100000)
        #expect(decimal.flat?.mode == .protected, "protected is the default flat mode")
    }

    @Test(arguments: [
        ["--memory", "64X"], ["--memory", "abc"], ["--memory", "0"], ["--memory", "1.5G"],
        ["--kernel", "x", "--flat", "zz"], ["--kernel", "x", "--flat", "0x1000", "--mode", "virtual8086"],
    ])
    func rejectsBadValues(arguments: [String]) throws {
        let options = try RunOptions.parse(arguments)
        #expect(throws: (any Error).self) { try options.machineConfiguration() }
    }

    @Test(arguments: [
        ["--mode", "real"], ["--flat", "0x7c00"], ["--timeout", "0"], ["--timeout", "-3"],
        ["--log-level", "loud"], ["--flat", "0x1000", "--kernel"],
    ])
    func validationCatchesInconsistentOptions(arguments: [String]) {
        #expect(throws: (any Error).self) { try RunOptions.parse(arguments) }
    }

    @Test func errorMessagesNameTheOption() throws {
        let options = try RunOptions.parse(["--memory", "64X"])
        do {
            _ = try options.machineConfiguration()
            Issue.record("accepted --memory 64X")
        } catch {
            #expect(RunOptions.message(for: error).contains("--memory"))
            #expect(RunOptions.message(for: error).contains("64X"))
        }
    }

    @Test func parseAddress() {
        #expect(RunOptions.parseAddress("0x7C00") == 0x7C00)
        #expect(RunOptions.parseAddress("31744") == 31744)
        #expect(RunOptions.parseAddress("0x") == nil)
        #expect(RunOptions.parseAddress("-1") == nil)
    }

    @Test func cpusResetAndInitrdOptions() throws {
        let options = try RunOptions.parse(["--kernel", "k", "--cpus", "4", "--on-reset", "restart",
                                            "--initrd", "i.img"])
        let configuration = try options.machineConfiguration()
        #expect(configuration.vcpuCount == 4)
        #expect(configuration.onReset == .restart)
        #expect(configuration.initrdPath == "i.img")
        #expect(throws: (any Error).self) { try RunOptions.parse(["--on-reset", "reboot"]) }
        #expect(throws: (any Error).self) { try RunOptions.parse(["--initrd", "i.img"]) }
    }

    @Test func moduleAndBootProtocolOptions() throws {
        let options = try RunOptions.parse(["--kernel", "k", "--module", "a.bin", "--module", "b.bin,x=1, y",
                                            "--boot-protocol", "pvh"])
        let configuration = try options.machineConfiguration()
        #expect(configuration.modules == [ModuleFile(path: "a.bin"), ModuleFile(path: "b.bin", arguments: "x=1, y")])
        #expect(configuration.modules.map(\.string) == ["a.bin", "b.bin x=1, y"])
        #expect(configuration.bootProtocol == .pvh)
        #expect(try RunOptions.parse(["--kernel", "k"]).machineConfiguration().bootProtocol == .auto)
        #expect(throws: (any Error).self) { try RunOptions.parse(["--module", "a.bin"]) }
        #expect(throws: (any Error).self) { try RunOptions.parse(["--kernel", "k", "--boot-protocol", "xen"]) }
        #expect(throws: (any Error).self) {
            try RunOptions.parse(["--kernel", "k", "--module", ",args"]).machineConfiguration()
        }
    }

    @Test func configurationValidation() {
        var configuration = MachineConfiguration()
        configuration.vcpuCount = 0
        #expect(throws: VMMError.self) { try configuration.validate() }
        configuration.vcpuCount = 2
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.vcpuCount = 254
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.vcpuCount = 255
        #expect(throws: VMMError.self) { try configuration.validate() }
        configuration.vcpuCount = 8
        #expect(throws: VMMError.self) { try configuration.validate(maximumVCPUs: 4) }
        configuration.vcpuCount = 1
        configuration.memorySize = 4097
        #expect(throws: VMMError.self) { try configuration.validate() }
    }
}
