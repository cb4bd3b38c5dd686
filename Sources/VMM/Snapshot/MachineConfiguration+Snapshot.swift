import Snapshot

/// The "config" section: the machine's shape, everything needed to build the same
/// machine again (no kernel: guest memory holds it). Host-only fields (serial
/// output and input, the KVM path, tracing) are not saved; the caller sets them.
extension MachineConfiguration {
    static let configSection = "config"

    func encodeShape(into writer: inout StateWriter) {
        writer.write(memorySize)
        writer.write(vcpuCount)
        writer.write(hugePages)
        writer.write(trackDirtyPages)
        writer.write(strictIO)
        writer.write(pauseExits)
        switch halt {
        case .inKernel: writer.write(UInt8(0))
        case .poll(let nanoseconds): writer.write(UInt8(1)); writer.write(nanoseconds)
        case .guest: writer.write(UInt8(2))
        }
        writer.write(onReset.rawValue)
        writer.write(UInt32(drives.count))
        for drive in drives {
            writer.write(drive.path)
            writer.write(drive.readOnly)
        }
        writer.write(UInt32(nets.count))
        for net in nets {
            writer.write(net.tap)
            writer.write(optional: net.mac) { $0.write(bytes: $1.bytes) }
        }
        writer.write(rng)
        writer.write(virtioConsole)
        writer.write(optional: vsock) { writer, vsock in
            writer.write(vsock.guestCID)
            writer.write(vsock.udsPath)
        }
        writer.write(UInt32(msrRules.count))
        for rule in msrRules { rule.encode(into: &writer) }
        writer.write(acpi)
    }

    /// The configuration a snapshot's "config" section describes, on top of the
    /// defaults (the kernel is `.demo`, unused on restore).
    static func decodeShape(_ reader: inout StateReader) throws(SnapshotError) -> MachineConfiguration {
        var configuration = MachineConfiguration()
        configuration.memorySize = try reader.readUInt64("memory size")
        configuration.vcpuCount = try reader.readInt("vcpu count", in: 1...Self.maximumVCPUs)
        configuration.hugePages = try reader.readBool("huge pages")
        configuration.trackDirtyPages = try reader.readBool("track dirty pages")
        configuration.strictIO = try reader.readBool("strict io")
        configuration.pauseExits = try reader.readBool("pause exits")
        switch try reader.read("halt mode") {
        case 0: configuration.halt = .inKernel
        case 1: configuration.halt = .poll(nanoseconds: try reader.readUInt64("halt poll nanoseconds"))
        case 2: configuration.halt = .guest
        case let other: throw .invalidValue(field: "config.halt mode", reason: "unknown mode \(other)")
        }
        let reset = try reader.readString("on reset", maximumCount: 32)
        guard let onReset = ResetAction(rawValue: reset) else {
            throw .invalidValue(field: "config.on reset", reason: "unknown action '\(reset)'")
        }
        configuration.onReset = onReset
        let driveCount = try reader.readUInt32("drive count")
        guard driveCount <= 64 else { throw .invalidValue(field: "config.drive count", reason: "\(driveCount)") }
        for _ in 0..<driveCount {
            configuration.drives.append(DriveConfiguration(path: try reader.readString("drive path"),
                                                           readOnly: try reader.readBool("drive read-only")))
        }
        let netCount = try reader.readUInt32("net count")
        guard netCount <= 64 else { throw .invalidValue(field: "config.net count", reason: "\(netCount)") }
        for _ in 0..<netCount {
            let tap = try reader.readString("net tap", maximumCount: 64)
            let mac = try reader.readOptional("net mac") { (reader) throws(SnapshotError) -> MACAddress in
                guard let mac = MACAddress(bytes: try reader.readBytes("mac", maximumCount: 6)) else {
                    throw .invalidValue(field: "config.net mac", reason: "not six bytes")
                }
                return mac
            }
            configuration.nets.append(NetConfiguration(tap: tap, mac: mac))
        }
        configuration.rng = try reader.readBool("rng")
        configuration.virtioConsole = try reader.readBool("virtio console")
        configuration.vsock = try reader.readOptional("vsock") { (reader) throws(SnapshotError) in
            VsockConfiguration(guestCID: try reader.readUInt32("vsock cid"), udsPath: try reader.readString("vsock uds"))
        }
        let ruleCount = try reader.readUInt32("msr rule count")
        guard ruleCount <= 64 else { throw .invalidValue(field: "config.msr rule count", reason: "\(ruleCount)") }
        for _ in 0..<ruleCount { configuration.msrRules.append(try MSRRule.decode(&reader)) }
        configuration.acpi = try reader.readBool("acpi")
        try reader.finish()
        return configuration
    }

    /// Where `self` (the machine being built) differs from `saved` (the snapshot's)
    /// in something the restored guest would notice: memory, vCPUs, devices.
    func snapshotMismatch(against saved: MachineConfiguration) -> SnapshotError? {
        if memorySize != saved.memorySize {
            return .mismatch(what: "memory size", snapshot: "\(saved.memorySize) bytes", machine: "\(memorySize) bytes")
        }
        if vcpuCount != saved.vcpuCount {
            return .mismatch(what: "the vCPU count", snapshot: "\(saved.vcpuCount)", machine: "\(vcpuCount)")
        }
        if drives.count != saved.drives.count {
            return .mismatch(what: "the number of drives", snapshot: "\(saved.drives.count)", machine: "\(drives.count)")
        }
        for (index, (mine, theirs)) in zip(drives, saved.drives).enumerated() where mine.readOnly != theirs.readOnly {
            return .mismatch(what: "drive \(index) read-only", snapshot: "\(theirs.readOnly)", machine: "\(mine.readOnly)")
        }
        if nets.count != saved.nets.count {
            return .mismatch(what: "the number of network devices", snapshot: "\(saved.nets.count)",
                             machine: "\(nets.count)")
        }
        if acpi != saved.acpi {
            return .mismatch(what: "ACPI (its tables and power management ports)", snapshot: "\(saved.acpi)",
                             machine: "\(acpi)")
        }
        if rng != saved.rng { return .mismatch(what: "virtio-rng", snapshot: "\(saved.rng)", machine: "\(rng)") }
        if virtioConsole != saved.virtioConsole {
            return .mismatch(what: "virtio-console", snapshot: "\(saved.virtioConsole)", machine: "\(virtioConsole)")
        }
        if (vsock == nil) != (saved.vsock == nil) || vsock?.guestCID != saved.vsock?.guestCID {
            return .mismatch(what: "virtio-vsock", snapshot: saved.vsock.map { "cid \($0.guestCID)" } ?? "none",
                             machine: vsock.map { "cid \($0.guestCID)" } ?? "none")
        }
        return nil
    }
}

extension MSRRule {
    func encode(into writer: inout StateWriter) {
        writer.write(first)
        writer.write(last)
        writer.write(reads)
        writer.write(writes)
        switch action {
        case .allow: writer.write(UInt8(0))
        case .generalProtection: writer.write(UInt8(1))
        case .value(let value): writer.write(UInt8(2)); writer.write(value)
        case .record(let initial): writer.write(UInt8(3)); writer.write(initial)
        }
    }

    static func decode(_ reader: inout StateReader) throws(SnapshotError) -> MSRRule {
        let first = try reader.readUInt32("msr rule first")
        let last = try reader.readUInt32("msr rule last")
        guard last >= first else { throw .invalidValue(field: "config.msr rule", reason: "last < first") }
        let reads = try reader.readBool("msr rule reads")
        let writes = try reader.readBool("msr rule writes")
        let action: Action
        switch try reader.read("msr rule action") {
        case 0: action = .allow
        case 1: action = .generalProtection
        case 2: action = .value(try reader.readUInt64("msr rule value"))
        case 3: action = .record(initial: try reader.readUInt64("msr rule initial"))
        case let other: throw .invalidValue(field: "config.msr rule action", reason: "unknown action \(other)")
        }
        return MSRRule(first: first, last: last, reads: reads, writes: writes, action: action)
    }
}
