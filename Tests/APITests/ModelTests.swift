import API
import FoundationEssentials
import Testing

@Suite("API models and the configuration file")
struct ModelTests {
    @Test("bitmaps parse into mask and value, with underscores")
    func bitmaps() throws {
        let low = try RegisterBitmap(parsing: "0bxxxxxxxxxxxxxxxxxxxxxxxxxxxx0101", width: 32)
        #expect(low.mask == 0xF && low.value == 0x5)
        #expect(low.apply(to: 0xFFFF_FFFA) == 0xFFFF_FFF5)
        #expect(low.description == "0bxxxxxxxxxxxxxxxxxxxxxxxxxxxx0101")
        let grouped = try RegisterBitmap(parsing: "0b1xxxxxxx_xxxxxxxx_xxxxxxxx_xxxxxxx0", width: 32)
        #expect(grouped.mask == 0x8000_0001 && grouped.value == 0x8000_0000)
        let wide = try RegisterBitmap(parsing: "0b" + String(repeating: "1", count: 64), width: 64)
        #expect(wide.mask == .max && wide.value == .max)
    }

    @Test("bad bitmaps name the problem")
    func badBitmaps() {
        #expect(throws: APIError.invalidValue("Invalid bitmap \"0b101\": it has 3 bits, expected 32.")) {
            try RegisterBitmap(parsing: "0b101", width: 32)
        }
        #expect(throws: APIError.self) { try RegisterBitmap(parsing: "1010", width: 32) }
        let bad = "0b" + String(repeating: "x", count: 31) + "2"
        #expect(throws: APIError.invalidValue("Invalid bitmap \"\(bad)\": unexpected character \"2\" (use 0, 1, x or _).")) {
            try RegisterBitmap(parsing: bad, width: 32)
        }
        let config = #"{"cpuid_modifiers": [{"leaf": "0x1", "subleaf": "0", "flags": 0, "modifiers": [{"register": "ecx", "bitmap": "0b1"}]}]}"#
        let controller = APIController(driver: FakeDriver())
        let answer = controller.handle(APIRequest(method: "PUT", path: "/cpu-config", body: Array(config.utf8)))
        let text = String(decoding: answer.body, as: UTF8.self)
        #expect(answer.status == 400)
        #expect(text.contains("cpuid_modifiers[0].modifiers[0].bitmap"), "\(text)")
        #expect(text.contains("1 bits, expected 32"))
    }

    @Test("cpu-config decodes leaves, MSRs and capabilities, and encodes back")
    func cpuConfig() throws {
        let config = try JSONDecoder().decode(CpuConfig.self, from: Data(Bodies.cpuConfig.utf8))
        #expect(config.kvmCapabilities == [.remove(56)])
        #expect(config.cpuidModifiers.first?.leaf == 1)
        #expect(config.cpuidModifiers.first?.modifiers.first?.bitmap.mask == 1)
        #expect(config.msrModifiers.first?.address == 0x10a)
        #expect(config.msrModifiers.first?.bitmap.value == 1)
        let again = try JSONDecoder().decode(CpuConfig.self, from: JSONEncoder().encode(config))
        #expect(again == config)
        let arm = #"{"reg_modifiers": []}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CpuConfig.self, from: Data(arm.utf8)) }
    }

    static let configFile = #"""
        {
          "boot-source": {"kernel_image_path": "/k/vmlinux", "boot_args": "console=ttyS0", "initrd_path": null},
          "drives": [
            {"drive_id": "rootfs", "path_on_host": "/d/rootfs.ext4", "is_root_device": true, "is_read_only": false}
          ],
          "machine-config": {"vcpu_count": 2, "mem_size_mib": 1024, "smt": false},
          "network-interfaces": [{"iface_id": "eth0", "guest_mac": "AA:FC:00:00:00:01", "host_dev_name": "tap0"}],
          "vsock": null,
          "entropy": {},
          "logger": {"log_path": "/tmp/fc.log", "level": "Info"},
          "metrics": null,
          "balloon": null,
          "mmds-config": null,
          "cpu-config": null
        }
        """#

    @Test("a Firecracker --config-file parses")
    func configFileParses() throws {
        let resources = try VMResources(configFileContents: Array(Self.configFile.utf8))
        #expect(resources.bootSource == BootSource(kernelImagePath: "/k/vmlinux", bootArgs: "console=ttyS0"))
        #expect(resources.machineConfig == MachineConfig(vcpuCount: 2, memSizeMib: 1024))
        #expect(resources.drives.count == 1 && resources.networkInterfaces.count == 1)
        #expect(resources.entropy == EntropyDevice())
        #expect(resources.logger?.level == "Info" && resources.vsock == nil && resources.metrics == nil)
        // GET /vm/config's output is itself a valid configuration file.
        let exported = try JSONEncoder().encode(resources)
        #expect(try VMResources(configFileContents: Array(exported)) == resources)
    }

    @Test("logger levels are case-insensitive and Warn means Warning, as in Firecracker")
    func loggerLevels() throws {
        for (text, level) in [("debug", "Debug"), ("WARN", "Warning"), ("Warning", "Warning"), ("off", "Off")] {
            let body = #"{"log_path": "/tmp/x.log", "level": "\#(text)", "show_level": true, "module": "vmm"}"#
            let logger = try JSONDecoder().decode(LoggerConfig.self, from: Data(body.utf8))
            #expect(logger == LoggerConfig(logPath: "/tmp/x.log", level: level, showLevel: true, module: "vmm"))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(LoggerConfig.self, from: Data(#"{"level": "Verbose"}"#.utf8))
        }
    }

    @Test("configuration file errors name the bad key", arguments: [
        (#"{"boot-sauce": {}}"#, "unknown field `boot-sauce`"),
        (#"{"drives": [{"drive_id": "a", "path_on_host": "/a", "is_root_device": false}, {"drive_id": "b", "is_root_device": false}]}"#,
         "missing field `drives[1].path_on_host`"),
        (#"{"machine-config": {"vcpu_count": 2, "mem_size_mib": 128, "smtt": true}}"#, "unknown field `smtt` in MachineConfig"),
        (#"{"balloon": {"amount_mib": 10, "deflate_on_oom": false}}"#, "swift-vmm does not support the balloon device"),
        (#"{"machine-config": {"vcpu_count": 64, "mem_size_mib": 128}}"#, "Invalid vcpu_count 64"),
        (#"{"logger": {"level": "Loud"}}"#, "invalid log level \"Loud\""),
        (#"{"drives": [{"drive_id": "a", "path_on_host": "/a", "is_root_device": "yes"}]}"#, "`drives[0].is_root_device`: expected a boolean"),
        ("{", "malformed JSON"),
    ])
    func configFileErrors(text: String, expected: String) {
        do {
            _ = try VMResources(configFileContents: Array(text.utf8), path: "vm.json")
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.description.hasPrefix("configuration file vm.json: "))
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test("a configuration file that cannot be read is named")
    func unreadableConfigFile() {
        #expect(throws: APIError.self) { try VMResources(configFile: "/nonexistent/vm.json") }
    }
}
