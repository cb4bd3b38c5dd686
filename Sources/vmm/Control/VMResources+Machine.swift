import API
import CPUModel
import VMM

/// Firecracker's resources (from the API or `--config-file`) as a swift-vmm
/// `MachineConfiguration`, and back (for `GET /vm/config` after a snapshot load).
/// What swift-vmm cannot honour is refused here, by name, never ignored (the API
/// target has already refused rate limiters that limit anything: empty ones are no-ops).
extension VMResources {
    func machineConfiguration() throws(APIError) -> MachineConfiguration {
        guard let boot = bootSource else { throw .invalidValue("Cannot start the VM without a boot source.") }
        var configuration = MachineConfiguration()
        configuration.kernel = .file(path: boot.kernelImagePath)
        configuration.initrdPath = boot.initrdPath
        configuration.memorySize = UInt64(machineConfig.memSizeMib) << 20
        configuration.vcpuCount = machineConfig.vcpuCount
        configuration.trackDirtyPages = machineConfig.trackDirtyPages
        if machineConfig.smt {
            throw .invalidValue("smt: swift-vmm gives each vCPU its own core and does not expose SMT siblings.")
        }
        if machineConfig.hugePages == .twoMiB {
            throw .invalidValue("huge_pages \"2M\" (hugetlbfs) is not supported: swift-vmm backs guest RAM with "
                + "transparent huge pages by default (\"None\").")
        }
        if let template = machineConfig.cpuTemplate, template != "None" {
            throw .invalidValue("cpu_template \"\(template)\" is not supported: describe the CPU with PUT /cpu-config.")
        }
        var commandLine = boot.bootArgs ?? ""
        for drive in drives {
            if let cache = drive.cacheType, cache != .unsafe {
                throw .invalidValue("drive \(drive.driveID): cache_type \(cache.rawValue) is not supported (only Unsafe).")
            }
            if let engine = drive.ioEngine, engine != .sync {
                throw .invalidValue("drive \(drive.driveID): io_engine \(engine.rawValue) is not supported (only Sync).")
            }
            configuration.drives.append(DriveConfiguration(path: drive.pathOnHost, readOnly: drive.isReadOnly ?? false))
            if drive.isRootDevice {
                // As Firecracker: the root device is the first disk (drives keep it first).
                let root = drive.partuuid.map { "root=PARTUUID=\($0)" } ?? "root=/dev/vda"
                commandLine += (commandLine.isEmpty ? "" : " ") + root + ((drive.isReadOnly ?? false) ? " ro" : " rw")
            }
        }
        configuration.commandLine = commandLine
        for interface in networkInterfaces {
            var mac: VMM.MACAddress? = nil
            if let text = interface.guestMAC {
                guard let parsed = VMM.MACAddress(parsing: text) else {
                    throw .invalidValue("network interface \(interface.ifaceID): '\(text)' is not a MAC address.")
                }
                mac = parsed
            }
            configuration.nets.append(NetConfiguration(tap: interface.hostDevName, mac: mac))
        }
        if let vsock {
            configuration.vsock = VsockConfiguration(guestCID: vsock.guestCID, udsPath: vsock.udsPath)
        }
        if entropy != nil { configuration.rng = true }
        if let cpuConfig { try cpuConfig.apply(to: &configuration) }
        do { try configuration.validate() } catch { throw .invalidValue("\(error)") }
        return configuration
    }

    /// The resources a restored machine has, for `GET /vm/config`: its shape only
    /// (a snapshot holds no kernel path).
    init(restored configuration: MachineConfiguration) {
        self.init()
        machineConfig.vcpuCount = configuration.vcpuCount
        machineConfig.memSizeMib = Int(configuration.memorySize >> 20)
        machineConfig.trackDirtyPages = configuration.trackDirtyPages
        drives = configuration.drives.enumerated().map { index, drive in
            Drive(driveID: "drive\(index)", pathOnHost: drive.path, isRootDevice: false, isReadOnly: drive.readOnly)
        }
        networkInterfaces = configuration.nets.enumerated().map { index, net in
            NetworkInterface(ifaceID: "eth\(index)", hostDevName: net.tap, guestMAC: net.mac?.description)
        }
        vsock = configuration.vsock.map { Vsock(guestCID: $0.guestCID, udsPath: $0.udsPath) }
        entropy = configuration.rng ? EntropyDevice() : nil
    }
}

extension CpuConfig {
    /// Firecracker's custom CPU template as swift-vmm policy: each CPUID modifier
    /// becomes a raw CPUID edit (the bitmap's 0/1 positions; `x` keeps KVM's bit),
    /// each MSR modifier a `record` rule whose initial value is the bitmap (the
    /// guest reads it, and its writes are kept, as a boot value would be). An MSR
    /// bitmap must give all 64 bits: there is no KVM value to keep an `x` from.
    func apply(to configuration: inout MachineConfiguration) throws(APIError) {
        if !kvmCapabilities.isEmpty {
            throw .invalidValue("cpu-config kvm_capabilities are not supported: swift-vmm chooses KVM capabilities itself.")
        }
        for leaf in cpuidModifiers {
            for modifier in leaf.modifiers {
                guard let register = CPUModel.CPUIDRegister(rawValue: modifier.register.rawValue) else { continue }
                configuration.cpuid.edits.append(CPUIDEdit(
                    leaf: leaf.leaf, subleaf: leaf.subleaf, register: register,
                    mask: UInt32(truncatingIfNeeded: modifier.bitmap.mask),
                    value: UInt32(truncatingIfNeeded: modifier.bitmap.value)))
            }
        }
        for modifier in msrModifiers {
            guard modifier.bitmap.mask == UInt64.max else {
                throw .invalidValue("cpu-config msr_modifiers for 0x\(String(modifier.address, radix: 16)): the bitmap "
                    + "must give all 64 bits (0 or 1): swift-vmm sets the MSR's whole value")
            }
            configuration.msrRules.append(MSRRule(first: modifier.address, reads: true, writes: true,
                                                  action: .record(initial: modifier.bitmap.value)))
        }
    }
}
