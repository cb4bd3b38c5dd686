import Devices
import Firmware
import KVM
import Loader
import Memory
import Snapshot

/// The ACPI steps of the build: where the tables go, writing them, and the fixed
/// hardware the FADT describes (PM1 event and control blocks, PM timer, reset
/// register, the SCI). See docs/firmware.md, "ACPI".
extension MachineBuilder {
    /// The RSDP address and table region to announce, or nil with ACPI off or when
    /// guest RAM does not reach the region (a machine of less than 1 MiB).
    static func acpiPlacement(_ configuration: MachineConfiguration, memory: GuestMemory) -> ACPIPlacement? {
        guard configuration.acpi else { return nil }
        let region = GuestRange(start: GuestAddress(ACPITables.regionBase), size: ACPITables.regionSize)
        guard memory.contains(region) else { return nil }
        return ACPIPlacement(rsdp: GuestAddress(ACPITables.rsdpAddress), tables: region)
    }

    /// The tables for this machine: its CPUs, COM1 and the virtio devices in their slots.
    static func acpiTables(_ configuration: MachineConfiguration, virtioCount: Int) throws(VMMError) -> ACPITables {
        let virtio = (0..<virtioCount).compactMap { VirtioLayout.slot($0) }.map {
            DSDT.VirtioMMIODevice(base: $0.base, size: VirtioLayout.windowSize, gsi: $0.gsi)
        }
        let serial = DSDT.SerialPort(port: Serial16550.com1, irq: UInt8(PCInterrupts.com1))
        do {
            return try ACPITables(cpuCount: configuration.vcpuCount, serialPorts: [serial], virtioDevices: virtio)
        } catch { throw .firmware("\(error)") }
    }

    /// Copies the tables to the placement the loader announced.
    static func writeACPITables(_ configuration: MachineConfiguration, placement: ACPIPlacement?,
                                virtioCount: Int, memory: GuestMemory, plan: BootPlan) throws(VMMError) {
        guard let placement else { return }
        let bytes: [UInt8]
        do {
            bytes = try acpiTables(configuration, virtioCount: virtioCount).bytes(at: placement.rsdp.rawValue)
        } catch let error as VMMError { throw error } catch { throw .firmware("\(error)") }
        let range = GuestRange(start: placement.rsdp, size: UInt64(bytes.count))
        guard range.start >= placement.tables.start, range.end <= placement.tables.end else {
            throw .firmware("the ACPI tables (\(bytes.count) bytes) do not fit \(placement.tables)")
        }
        if let clash = plan.imageRanges.first(where: { $0.overlaps(range) }) {
            throw .firmware("the kernel image at \(clash) overlaps the ACPI tables at \(range)")
        }
        do { try memory.write(bytes, at: range.start) } catch { throw .memory(error) }
    }

    /// Whether the `virtio_mmio.device=` entries go on the command line. A Linux
    /// kernel with ACPI finds the devices in the DSDT (as QEMU microvm decides:
    /// no command-line entries when ACPI is on); every other guest, swift-vmm's
    /// test guests included, reads the command line.
    static func announcesVirtioOnCommandLine(format: ImageFormat?, acpi: Bool) -> Bool {
        guard acpi else { return true }
        return format != .bzImage && format != .linuxELF && format != .pvh
    }

    /// The fixed ACPI hardware on the port bus; returns the SCI's eventfd line and
    /// the devices whose state a snapshot keeps.
    static func attachACPIDevices(vm: VMFD, bus: inout IOBusBuilder) throws(VMMError)
        -> (sci: EventInterruptLine, devices: [any StateSaving])
    {
        let sci = try interruptLine(vm: vm, gsi: UInt32(ACPIHardware.sciIRQ))
        let event = PM1EventPort(sci: sci)
        let control = PM1ControlPort(softOffType: ACPIHardware.s5SleepType)
        let timer = PMTimerPort()
        try bus.insert(event, name: "acpi-pm1-event", base: UInt64(ACPIHardware.pm1aEventPort),
                       size: UInt64(ACPIHardware.pm1EventLength))
        try bus.insert(control, name: "acpi-pm1-control",
                       base: UInt64(ACPIHardware.pm1aControlPort), size: UInt64(ACPIHardware.pm1ControlLength))
        try bus.insert(timer, name: "acpi-pm-timer", base: UInt64(ACPIHardware.pmTimerPort),
                       size: UInt64(ACPIHardware.pmTimerLength))
        try bus.insert(ResetRegister(resetValue: ACPIHardware.resetValue), name: "acpi-reset",
                       base: UInt64(ACPIHardware.resetPort), size: 1)
        return (sci, [event, control, timer])
    }
}
