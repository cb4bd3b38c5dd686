@testable import vmm
@testable import VMM
import Firmware
import Loader
import Testing

@Suite struct ACPIConfigurationTests {
    @Test func acpiIsOnUnlessNoACPI() throws {
        #expect(try RunOptions.parse(["--kernel", "g.elf"]).machineConfiguration().acpi)
        #expect(try !RunOptions.parse(["--kernel", "g.elf", "--no-acpi"]).machineConfiguration().acpi)
        #expect(MachineConfiguration().acpi)
    }

    @Test func linuxWithACPIFindsVirtioInTheDSDTNotOnTheCommandLine() {
        #expect(!MachineBuilder.announcesVirtioOnCommandLine(format: .bzImage, acpi: true))
        #expect(!MachineBuilder.announcesVirtioOnCommandLine(format: .linuxELF, acpi: true))
        #expect(MachineBuilder.announcesVirtioOnCommandLine(format: .bzImage, acpi: false))
        #expect(MachineBuilder.announcesVirtioOnCommandLine(format: .multiboot, acpi: true), "test guests read it")
        #expect(MachineBuilder.announcesVirtioOnCommandLine(format: .elf64, acpi: true))
    }

    @Test func theSCIHasAPinOfItsOwn() {
        #expect(!VirtioLayout.interrupts.contains(UInt32(ACPIHardware.sciIRQ)))
        #expect(Set(VirtioLayout.interrupts).count == VirtioLayout.capacity)
    }

    @Test func tablesDescribeTheVirtioSlots() throws {
        var configuration = MachineConfiguration()
        configuration.vcpuCount = 2
        let tables = try MachineBuilder.acpiTables(configuration, virtioCount: 3)
        #expect(tables.dsdt.virtioDevices.map(\.gsi) == [5, 6, 7])
        #expect(tables.dsdt.virtioDevices.map(\.base) == [0xD000_0000, 0xD000_1000, 0xD000_2000])
        #expect(tables.dsdt.serialPorts == [DSDT.SerialPort(port: 0x3F8, irq: 4)])
        #expect(tables.madt.cpuCount == 2 && tables.madt.ioAPICID == 2)
        let bytes = try tables.bytes(at: ACPITables.rsdpAddress)
        #expect(UInt64(bytes.count) <= ACPITables.regionSize)
    }
}
