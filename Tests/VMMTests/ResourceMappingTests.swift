@testable import vmm
import API
import CPUModel
import Testing
import VMM

/// Firecracker's resources as a swift-vmm machine: what maps, and what is refused by name.
@Suite struct ResourceMappingTests {
    func configuration(_ json: String) throws -> MachineConfiguration {
        try VMResources(configFileContents: Array(json.utf8)).machineConfiguration()
    }

    func refusal(_ json: String) -> String {
        do {
            _ = try configuration(json)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func mapsTheMachineAndItsDevices() throws {
        let machine = try configuration("""
            {"boot-source": {"kernel_image_path": "/k", "initrd_path": "/i", "boot_args": "console=ttyS0"},
             "machine-config": {"vcpu_count": 2, "mem_size_mib": 256, "track_dirty_pages": true},
             "drives": [{"drive_id": "data", "path_on_host": "/d", "is_root_device": false, "is_read_only": true},
                        {"drive_id": "root", "path_on_host": "/r", "is_root_device": true, "is_read_only": false}],
             "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "tap0", "guest_mac": "06:00:00:00:00:01"}],
             "vsock": {"guest_cid": 3, "uds_path": "/v.sock"}, "entropy": {}}
            """)
        #expect(machine.vcpuCount == 2 && machine.memorySize == 256 << 20 && machine.trackDirtyPages)
        #expect(machine.initrdPath == "/i")
        #expect(machine.drives == [DriveConfiguration(path: "/r"), DriveConfiguration(path: "/d", readOnly: true)])
        #expect(machine.commandLine == "console=ttyS0 root=/dev/vda rw")
        #expect(machine.nets.map(\.tap) == ["tap0"] && machine.nets.first?.mac?.description == "06:00:00:00:00:01")
        #expect(machine.vsock?.guestCID == 3 && machine.rng)
        guard case .file(let path) = machine.kernel else {
            Issue.record("kernel: \(machine.kernel)")
            return
        }
        #expect(path == "/k")
    }

    @Test func rootDeviceByPartitionUUIDReadOnly() throws {
        let machine = try configuration("""
            {"boot-source": {"kernel_image_path": "/k"},
             "drives": [{"drive_id": "root", "path_on_host": "/r", "is_root_device": true, "is_read_only": true,
                         "partuuid": "0eaa91a0-01"}]}
            """)
        #expect(machine.commandLine == "root=PARTUUID=0eaa91a0-01 ro")
    }

    @Test func cpuConfigBecomesCPUIDEditsAndMSRRules() throws {
        let machine = try configuration("""
            {"boot-source": {"kernel_image_path": "/k"},
             "cpu-config": {"cpuid_modifiers": [{"leaf": "0x1", "subleaf": "0x0", "flags": 0, "modifiers": [
                 {"register": "ecx", "bitmap": "0bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx01"}]}],
               "msr_modifiers": [{"addr": "0x175", "bitmap": "0b0000000000000000000000000000000000000000000000000000000000001010"}]}}
            """)
        #expect(machine.cpuid.edits == [CPUIDEdit(leaf: 1, subleaf: 0, register: .ecx, mask: 0b11, value: 0b01)])
        #expect(machine.msrRules == [MSRRule(first: 0x175, reads: true, writes: true, action: .record(initial: 10))])
    }

    @Test func refusesWhatItCannotHonourByName() {
        let boot = #""boot-source": {"kernel_image_path": "/k"}"#
        #expect(refusal("{}").contains("boot source"))
        #expect(refusal(#"{\#(boot), "machine-config": {"vcpu_count": 2, "mem_size_mib": 64, "smt": true}}"#)
            .contains("smt"))
        #expect(refusal(#"{\#(boot), "machine-config": {"vcpu_count": 1, "mem_size_mib": 64, "huge_pages": "2M"}}"#)
            .contains("huge_pages"))
        #expect(refusal(#"{\#(boot), "drives": [{"drive_id": "a", "path_on_host": "/a", "is_root_device": false, "io_engine": "Async"}]}"#)
            .contains("io_engine"))
        #expect(refusal(#"{\#(boot), "drives": [{"drive_id": "a", "path_on_host": "/a", "is_root_device": false, "cache_type": "Writeback"}]}"#)
            .contains("cache_type"))
        #expect(refusal(#"{\#(boot), "cpu-config": {"kvm_capabilities": ["171"]}}"#).contains("kvm_capabilities"))
        #expect(refusal(#"{\#(boot), "cpu-config": {"msr_modifiers": [{"addr": "0x175", "bitmap": "0bx"}]}}"#) != "")
        #expect(refusal(#"{\#(boot), "machine-config": {"vcpu_count": 1, "mem_size_mib": 0}}"#) != "")
    }
}
