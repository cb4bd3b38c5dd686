import Devices
import Firmware
import KVM
import Loader
import Logging
import Memory
import Snapshot
import SystemPackage
import Virtio

/// The pieces of a built, not yet running, machine.
struct BuiltMachine {
    let system: KVMSystem
    let vm: VMFD
    let memory: GuestMemory
    let plan: BootPlan
    let ports: IOBus
    let mmio: IOBus
    let vcpus: [VCPUFD]
    let serial: SerialPort
    let keyboard: KeyboardController
    let cmos: CMOSPort
    /// The fixed ACPI hardware with state (PM1 blocks, PM timer); empty with ACPI off.
    var acpiDevices: [any StateSaving] = []
    /// The coalesced write ring, when coalesced zones were registered.
    let coalesced: CoalescedRing?
    /// virtio-mmio devices and the thread that serves their queues.
    let virtio: [VirtioMMIODevice]
    let virtioConsole: VirtioConsole?
    /// The Unix-socket side of virtio-vsock, closed when the VM stops.
    let vsock: VsockMultiplexer?
    let ioThread: IOThread
    /// Eventfds registered with KVM_IRQFD, kept open as long as the machine.
    let interruptEvents: [EventFD]
    /// The devices of `MachineConfiguration.probes`, in order.
    var probes: [ProbeDevice] = []
}

/// Assembles a VM, one named step after another; each step fails with its own error.
enum MachineBuilder {
    /// Guest physical pages KVM needs for its own use on Intel hosts (inside the MMIO hole).
    static let tssAddress: UInt64 = 0xFFFB_D000
    static let identityMapAddress: UInt64 = 0xFFFB_C000
    /// Kernel files larger than this are refused before being read.
    static let largestKernelFile: Int64 = 1 << 30

    /// Builds the machine. With `restoring`, no kernel is read or loaded, no MP
    /// table written and the boot vCPU keeps its reset state: a snapshot's memory
    /// and vCPU state replace them (see `VirtualMachine.init(configuration:restoringFrom:memoryPath:)`).
    static func build(_ configuration: MachineConfiguration, restoring: Bool = false) throws(VMMError) -> BuiltMachine {
        let image = restoring ? nil : try readKernel(configuration)
        let system = try openKVM(configuration)
        try configuration.validate(maximumVCPUs: system.maximumVCPUs)
        let vm = try createVM(system)
        try installMSRPolicy(configuration.msrRules, system: system, vm: vm)
        try applyExitControls(configuration, system: system, vm: vm)
        let memory = try allocateMemory(configuration, vm: vm)
        let devices = try createVirtioDevices(configuration)
        var configuration = configuration
        let plan: BootPlan
        let acpi = acpiPlacement(configuration, memory: memory)
        if let image {
            let format = ImageLoader.detect(image.bytes, flat: image.flat != nil, bootProtocol: configuration.bootProtocol)
            if !devices.isEmpty, format != .flat,
               announcesVirtioOnCommandLine(format: format, acpi: acpi != nil) {
                configuration.commandLine = announce(devices.count, on: configuration.commandLine)
            }
            plan = try loadKernel(image, configuration, memory: memory, acpi: acpi)
            try writeMPTable(configuration, memory: memory, plan: plan)
            try writeACPITables(configuration, placement: acpi, virtioCount: devices.count, memory: memory, plan: plan)
        } else {
            plan = BootPlan.restoredFromSnapshot
        }
        let ioThread = try IOThread()
        var mmioBus = IOBusBuilder()
        var virtio: [VirtioMMIODevice] = []
        var events: [EventFD] = []
        for (index, device) in devices.enumerated() {
            let (transport, deviceEvents) = try attachVirtio(device.device, name: device.name, index: index, vm: vm,
                                                             memory: memory, bus: &mmioBus, ioThread: ioThread)
            virtio.append(transport)
            events += deviceEvents
        }
        try watchNetBackends(devices, ioThread: ioThread)
        let vsock = try watchVsock(devices.map(\.device), ioThread: ioThread)
        let serialIRQ = try interruptLine(vm: vm, gsi: PCInterrupts.com1)
        let keyboardIRQ = try interruptLine(vm: vm, gsi: PCInterrupts.keyboard)
        let mouseIRQ = try interruptLine(vm: vm, gsi: PCInterrupts.mouse)
        let serial = SerialPort(output: configuration.serialOutput, interrupt: serialIRQ)
        let keyboard = KeyboardController(keyboardInterrupt: keyboardIRQ, auxInterrupt: mouseIRQ)
        let below4GiB = memory.regions.filter { $0.range.start.rawValue < 1 << 32 }.reduce(0) { $0 + $1.range.size }
        let cmos = CMOSPort(memoryBelow4GiB: below4GiB, memoryAbove4GiB: memory.size - below4GiB,
                            cpuCount: configuration.vcpuCount)
        var portBus = try buildPortBus(serial: serial, keyboard: keyboard, cmos: cmos)
        let acpiHardware = configuration.acpi ? try attachACPIDevices(vm: vm, bus: &portBus) : nil
        let probes = try attachProbes(configuration.probes, vm: vm, memory: memory, ports: &portBus, mmio: &mmioBus)
        let ports = portBus.freeze()
        let mmio = mmioBus.freeze()
        let vcpus = try createVCPUs(configuration, system: system, vm: vm, plan: image == nil ? nil : plan)
        let coalesced = try registerCoalescedZones(system: system, vm: vm, vcpus: vcpus,
                                                   virtioCount: virtio.count,
                                                   extra: configuration.coalescedZones + probes.coalesced)
        return BuiltMachine(system: system, vm: vm, memory: memory, plan: plan, ports: ports, mmio: mmio,
                            vcpus: vcpus, serial: serial, keyboard: keyboard, cmos: cmos,
                            acpiDevices: acpiHardware?.devices ?? [], coalesced: coalesced, virtio: virtio,
                            virtioConsole: devices.lazy.compactMap { $0.device as? VirtioConsole }.first,
                            vsock: vsock,
                            ioThread: ioThread,
                            interruptEvents: [serialIRQ.event, keyboardIRQ.event, mouseIRQ.event]
                                + (acpiHardware.map { [$0.sci.event] } ?? []) + events,
                            probes: probes.devices)
    }

    /// The MP table (Intel MP spec 1.4) in the BIOS area at 0xF0000, where a guest's
    /// scan for "_MP_" finds it: the CPUs, the I/O APIC and the ISA interrupt wiring.
    static func writeMPTable(_ configuration: MachineConfiguration, memory: GuestMemory,
                             plan: BootPlan) throws(VMMError) {
        let base = MPTable.biosAreaBase
        let bytes: [UInt8]
        do {
            bytes = try MPTable(cpuCount: configuration.vcpuCount).bytes(at: base)
        } catch { throw .firmware("\(error)") }
        let range = GuestRange(start: GuestAddress(base), size: UInt64(bytes.count))
        guard memory.contains(range) else { return }  // no RAM there: nothing to describe with
        if let clash = plan.imageRanges.first(where: { $0.overlaps(range) }) {
            throw .firmware("the kernel image at \(clash) overlaps the MP table at \(range)")
        }
        do { try memory.write(bytes, at: range.start) } catch { throw .memory(error) }
    }

    /// The image to load, how to load it, and its name (for the multiboot command line).
    struct KernelImage {
        let bytes: [UInt8]
        let flat: FlatImageOptions?
        let name: String?
        var initrd: [UInt8]? = nil
        var modules: [BootModule] = []
    }

    static func readKernel(_ configuration: MachineConfiguration) throws(VMMError) -> KernelImage {
        var image = try readImage(configuration)
        if let path = configuration.initrdPath {
            do {
                image.initrd = try readFile(path)
            } catch .kernelUnreadable(_, let reason) {
                throw .invalidConfiguration(option: "--initrd", reason: "cannot read \(path): \(reason)")
            }
        }
        for module in configuration.modules {
            do {
                image.modules.append(BootModule(bytes: try readFile(module.path), string: module.string))
            } catch .kernelUnreadable(_, let reason) {
                throw .invalidConfiguration(option: "--module", reason: "cannot read \(module.path): \(reason)")
            }
        }
        return image
    }

    static func readImage(_ configuration: MachineConfiguration) throws(VMMError) -> KernelImage {
        switch configuration.kernel {
        case .demo:
            let flat = FlatImageOptions(address: GuestAddress(DemoGuest.loadAddress), mode: .protected)
            return KernelImage(bytes: DemoGuest.bytes, flat: flat, name: nil)
        case .bytes(let bytes, let name):
            return KernelImage(bytes: bytes, flat: configuration.flat, name: name)
        case .file(let path):
            return KernelImage(bytes: try readFile(path), flat: configuration.flat, name: path)
        }
    }

    static func readFile(_ path: String) throws(VMMError) -> [UInt8] {
        do {
            let fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
            defer { try? fd.close() }
            let size = try fd.seek(offset: 0, from: .end)
            guard size <= largestKernelFile else {
                throw VMMError.kernelUnreadable(path: path, reason: "\(size) bytes is larger than the 1 GiB limit")
            }
            _ = try fd.seek(offset: 0, from: .start)
            var bytes = [UInt8](repeating: 0, count: Int(size))
            var filled = 0
            while filled < bytes.count {
                let count = try bytes.withUnsafeMutableBytes { raw in
                    try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                }
                if count == 0 { break }
                filled += count
            }
            return Array(bytes.prefix(filled))
        } catch let error as VMMError {
            throw error
        } catch let error as Errno {
            throw .kernelUnreadable(path: path, reason: "\(error)")
        } catch {
            throw .kernelUnreadable(path: path, reason: "\(error)")
        }
    }

    static func openKVM(_ configuration: MachineConfiguration) throws(VMMError) -> KVMSystem {
        do { return try KVMSystem(path: configuration.kvmPath) } catch { throw .kvm(error) }
    }

    static func createVM(_ system: KVMSystem) throws(VMMError) -> VMFD {
        do {
            let vm = try system.createVM()
            try vm.setTSSAddress(tssAddress)
            if system.check(.setIdentityMapAddress) > 0 { try vm.setIdentityMapAddress(identityMapAddress) }
            // The in-kernel PIC pair, I/O APIC, local APICs and PIT, before any vCPU.
            try vm.createIRQChip()
            try vm.createPIT(dummySpeaker: true)
            try vm.setGSIRouting(IRQRoute.pcIdentity)
            return vm
        } catch { throw .kvm(error) }
    }

    static func allocateMemory(_ configuration: MachineConfiguration, vm: VMFD) throws(VMMError) -> GuestMemory {
        let memory: GuestMemory
        do {
            memory = try GuestMemory(pcRAMSize: configuration.memorySize, hugePages: configuration.hugePages,
                                     trackDirtyPages: configuration.trackDirtyPages)
        } catch { throw .memory(error) }
        for (slot, region) in memory.regions.enumerated() {
            do {
                try vm.setUserMemoryRegion(slot: UInt32(slot), guestAddress: region.range.start.rawValue,
                                           size: region.range.size, host: region.host,
                                           logDirtyPages: configuration.trackDirtyPages)
            } catch { throw .kvm(error) }
        }
        return memory
    }

    static func loadKernel(_ image: KernelImage, _ configuration: MachineConfiguration,
                           memory: GuestMemory, acpi: ACPIPlacement? = nil) throws(VMMError) -> BootPlan {
        let options = LoadOptions(commandLine: configuration.commandLine, flat: image.flat, imageName: image.name,
                                  initrd: image.initrd, initrdName: configuration.initrdPath, modules: image.modules,
                                  bootProtocol: configuration.bootProtocol, acpi: acpi)
        do { return try ImageLoader.load(image.bytes, into: memory, options: options) } catch { throw .loader(error) }
    }

    /// The virtio devices the configuration asks for, in slot order: disks, nets, rng, console, vsock.
    static func createVirtioDevices(_ configuration: MachineConfiguration) throws(VMMError)
        -> [(name: String, device: any VirtioDevice)]
    {
        var devices: [(name: String, device: any VirtioDevice)] = []
        for (index, drive) in configuration.drives.enumerated() {
            do {
                let block = try VirtioBlock(path: drive.path, readOnly: drive.readOnly, serial: "swiftvmm-disk\(index)")
                devices.append(("virtio-blk", block))
            } catch {
                throw .invalidConfiguration(option: "--drive", reason: "\(drive.path): \(error)")
            }
        }
        devices += try createNetDevices(configuration)
        if configuration.rng { devices.append(("virtio-rng", VirtioRNG())) }
        if configuration.virtioConsole {
            devices.append(("virtio-console", VirtioConsole(output: configuration.serialOutput)))
        }
        if let vsock = configuration.vsock {
            let limit = configuration.limits.vsockConnections
            devices.append(("virtio-vsock", try makeVsock(vsock, maxConnections: limit)))
        }
        guard devices.count <= VirtioLayout.capacity else {
            throw .invalidConfiguration(option: "--drive", reason: "\(devices.count) virtio devices; at most "
                + "\(VirtioLayout.capacity) fit (one interrupt line each)")
        }
        return devices
    }

    /// The command line with one `virtio_mmio.device=` entry per device appended.
    static func announce(_ count: Int, on commandLine: String) -> String {
        let entries = (0..<count).compactMap { VirtioLayout.slot($0) }
            .map { VirtioLayout.kernelParameter(base: $0.base, gsi: $0.gsi) }
        return ([commandLine] + entries).filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// Puts a virtio device on the MMIO bus at its slot: its interrupt through an
    /// irqfd, and one ioeventfd per queue on QueueNotify (matching the queue index),
    /// served on the I/O thread, so a notification costs the guest no exit.
    static func attachVirtio(_ device: any VirtioDevice, name: String, index: Int, vm: VMFD, memory: GuestMemory,
                             bus: inout IOBusBuilder, ioThread: IOThread) throws(VMMError)
        -> (VirtioMMIODevice, [EventFD])
    {
        guard let slot = VirtioLayout.slot(index) else {
            throw .invalidConfiguration(option: "--drive", reason: "no room for virtio device \(index)")
        }
        let line = try interruptLine(vm: vm, gsi: slot.gsi)
        let logger = Logger(label: "swift-vmm.virtio")
        let label = "\(name) at 0x\(String(slot.base, radix: 16))"
        let transport = VirtioMMIODevice(device: device, memory: memory, interrupt: line,
                                         log: { message in logger.warning("\(label): \(message)") },
                                         stateSectionName: SavedMachine.virtioSectionName(index))
        try bus.insert(transport, name: name, base: slot.base, size: VirtioLayout.windowSize)
        var events = [line.event]
        for queue in 0..<transport.queueCount {
            let event: EventFD
            do {
                event = try EventFD()
                try vm.registerIOEventFD(event, space: .mmio, address: slot.base + VirtioMMIODevice.notifyOffset,
                                         length: 4, value: UInt64(queue))
            } catch { throw .kvm(error) }
            try ioThread.watch(event) { transport.processQueue(queue) }
            events.append(event)
        }
        // At DRIVER_OK the queues are served by the I/O thread, not the vCPU thread.
        let notifications = Array(events.dropFirst())
        transport.queueKick = { queue in
            if notifications.indices.contains(queue) { _ = notifications[queue].signal() }
        }
        return (transport, events)
    }

    /// The MSR filter (the VMCS's MSR bitmaps, managed by KVM) for `--msr`: the
    /// accesses the rules name exit to user space, where `MSRHandler` answers them.
    static func installMSRPolicy(_ rules: [MSRRule], system: KVMSystem, vm: VMFD) throws(VMMError) {
        guard !rules.isEmpty else { return }
        let ranges = try MSRRule.filterRanges(rules)
        for capability in [Capability.userSpaceMSR, .msrFilter] where system.check(capability) <= 0 {
            throw .invalidConfiguration(option: "--msr", reason: "this KVM lacks \(capability.name)")
        }
        do {
            try vm.enableUserSpaceMSRExits()
            try vm.setMSRFilter(ranges)
        } catch { throw .kvm(error) }
    }

    /// Write-only legacy ports whose writes may wait for the next exit, as QEMU
    /// does for the RTC: the CMOS index (0x70, always followed by an exiting read
    /// of 0x71, before which the ring is replayed) and the POST code port (0x80).
    static let coalescedPorts: [(port: UInt64, size: UInt32)] = [(0x70, 1), (0x80, 1)]

    /// The coalesced MMIO zones of the virtio devices in the first `virtioCount`
    /// slots: their write-only set-up registers (`VirtioMMIORegister.coalescableRanges`).
    static func coalescedVirtioZones(virtioCount: Int) -> [(address: UInt64, size: UInt32)] {
        (0..<virtioCount).compactMap { VirtioLayout.slot($0) }.flatMap { slot in
            VirtioMMIORegister.coalescableRanges.map { (slot.base + $0.offset, $0.size) }
        }
    }

    /// Registers the coalesced zones KVM supports (ports with KVM_CAP_COALESCED_PIO,
    /// virtio registers with KVM_CAP_COALESCED_MMIO); returns the ring to replay,
    /// or nil (every write then exits as usual).
    static func registerCoalescedZones(system: KVMSystem, vm: VMFD, vcpus: [VCPUFD], virtioCount: Int,
                                       extra: [CoalescedZone] = []) throws(VMMError) -> CoalescedRing?
    {
        guard let ring = vcpus.first?.coalescedRing() else {
            if !extra.isEmpty {
                throw .invalidConfiguration(option: "--coalesced", reason: "this KVM has no coalesced MMIO ring")
            }
            return nil
        }
        if extra.contains(where: { $0.space == .port }) && system.check(.coalescedPIO) <= 0 {
            throw .invalidConfiguration(option: "--coalesced pio", reason: "this KVM lacks KVM_CAP_COALESCED_PIO")
        }
        do {
            for zone in extra { try vm.registerCoalesced(space: zone.space, address: zone.address, size: zone.size) }
            if system.check(.coalescedPIO) > 0 {
                for zone in coalescedPorts { try vm.registerCoalesced(space: .port, address: zone.port, size: zone.size) }
            }
            for zone in coalescedVirtioZones(virtioCount: virtioCount) {
                try vm.registerCoalesced(space: .mmio, address: zone.address, size: zone.size)
            }
        } catch { throw .kvm(error) }
        return ring
    }

    /// An eventfd registered with KVM_IRQFD for `gsi`: a device raises its interrupt
    /// with one write(2), from any thread, without a vCPU ioctl.
    static func interruptLine(vm: VMFD, gsi: UInt32) throws(VMMError) -> EventInterruptLine {
        do {
            let event = try EventFD()
            try vm.registerIRQFD(event, gsi: gsi)
            return EventInterruptLine(event: event, gsi: gsi)
        } catch { throw .kvm(error) }
    }

    /// The legacy port devices (the bus is frozen once the probe windows are in).
    static func buildPortBus(serial: SerialPort, keyboard: KeyboardController, cmos: CMOSPort) throws(VMMError)
        -> IOBusBuilder
    {
        var bus = IOBusBuilder()
        try bus.insert(serial, name: "serial", base: UInt64(Serial16550.com1), size: Serial16550.registerCount)
        try bus.insert(keyboard.dataPort, name: "i8042", base: UInt64(I8042.dataPort), size: 1)
        try bus.insert(keyboard.commandPort, name: "i8042", base: UInt64(I8042.commandPort), size: 1)
        try bus.insert(cmos, name: "rtc", base: UInt64(CMOS.indexPort), size: CMOS.portCount)
        try bus.insert(POSTCodePort(), name: "post-code", base: 0x80, size: 1)
        try bus.insert(EmptyPCIBusPort(), name: "pci-config", base: UInt64(EmptyPCIBus.basePort),
                       size: EmptyPCIBus.portCount)
        try bus.insert(DebugExit(), name: "debug-exit", base: UInt64(DebugExit.defaultPort), size: DebugExit.defaultSize)
        return bus
    }

    static func createVCPUs(_ configuration: MachineConfiguration, system: KVMSystem, vm: VMFD,
                            plan: BootPlan?) throws(VMMError) -> [VCPUFD] {
        // One policy table for the machine; each vCPU differs only in its APIC ID.
        let cpuid = try GuestCPUID.table(configuration.cpuid, system: system)
        do {
            var vcpus: [VCPUFD] = []
            for index in 0..<configuration.vcpuCount {
                let vcpu = try vm.createVCPU(id: index)
                try vcpu.setCPUID(cpuid.withAPICID(UInt32(index)))
                // Application processors keep their reset state: the in-kernel APIC
                // holds them until the guest sends INIT and SIPI.
                if index == 0, let plan { try CPUSetup.apply(plan, to: vcpu) }
                vcpus.append(vcpu)
            }
            return vcpus
        } catch { throw .kvm(error) }
    }
}
