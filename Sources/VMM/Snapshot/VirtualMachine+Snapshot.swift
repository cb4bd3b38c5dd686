import KVM
import Memory
import Snapshot

/// What a snapshot's memory file holds.
public enum SnapshotKind: Sendable, Equatable {
    /// All of guest RAM.
    case full
    /// Only the pages written since the last snapshot (or since the VM was built
    /// or restored), in a sparse file; needs `MachineConfiguration.trackDirtyPages`.
    case diff
}

extension VirtualMachine {
    /// Writes a snapshot of this paused VM: the machine's state to `statePath`
    /// (versioned, checksummed; see docs/snapshots.md) and guest RAM to `memoryPath`.
    ///
    /// The VM must be paused (`pause()`); it stays paused, and `resume()` lets it go on.
    /// A `.diff` snapshot writes only the pages dirtied since the previous snapshot
    /// and needs `trackDirtyPages`; `MemorySnapshot.rebase(diff:onto:)` applies it
    /// to a copy of the previous full memory file.
    public func createSnapshot(statePath: String, memoryPath: String, kind: SnapshotKind = .full)
        throws(VMMError)
    {
        let states = vcpuStates
        guard started.load(ordering: .acquiring), states.allSatisfy({ $0 == .paused }) else {
            let state = states.contains(.running) ? "running (pause it first)"
                : states.contains(.stopped) ? "stopped" : "not started"
            throw .invalidState(operation: "create a snapshot", state: state)
        }
        if kind == .diff && !configuration.trackDirtyPages {
            throw .snapshot(.unsupported("a diff snapshot needs dirty page tracking: build the VM with "
                + "MachineConfiguration.trackDirtyPages = true (Firecracker's track_dirty_pages)"))
        }
        let devices = savingDevices()
        machine.ioThread.pause()
        defer { machine.ioThread.resume() }
        completePendingExits()
        // Writes KVM held back reach their devices before the devices are saved.
        if let ring = machine.coalesced, let loop = loops.first { loop.replayCoalesced(ring) }

        // The drives' current paths and the devices' state, taken together so
        // that an `updateDrive` cannot fall between them.
        let (shape, deviceStates) = currentDrives.withLock { drives in
            var shape = configuration
            shape.drives = drives
            var writer = StateWriter()
            shape.encodeShape(into: &writer)
            let states = devices.map { name, device in
                var writer = StateWriter()
                device.saveState(into: &writer)
                return (name, writer.bytes)
            }
            return (writer.bytes, states)
        }
        var file = StateFile()
        file.set(MachineConfiguration.configSection, shape)
        var writer = StateWriter()
        writer.write(memory.size)
        file.set(SavedMachine.memorySection, writer.bytes)
        do {
            let msrIndices = try machine.system.msrIndexList()
            writer = StateWriter()
            try machine.vm.saveState().encode(into: &writer)
            file.set(VMSavedState.sectionName, writer.bytes)
            for (index, vcpu) in machine.vcpus.enumerated() {
                writer = StateWriter()
                try vcpu.saveState(msrIndices: msrIndices).encode(into: &writer)
                file.set(VCPUSavedState.sectionName(index), writer.bytes)
            }
        } catch { throw .kvm(error) }
        for (name, bytes) in deviceStates { file.set(name, bytes) }
        do {
            switch kind {
            case .full:
                try MemorySnapshot.writeFull(memory, to: memoryPath)
                _ = try takeDirtyPages()  // the next diff is relative to this snapshot
            case .diff:
                try MemorySnapshot.writeDiff(memory, dirty: try takeDirtyPages(), to: memoryPath)
            }
            try SavedMachine.write(file.encoded(), to: statePath)
        } catch let error as SnapshotError {
            throw .snapshot(error)
        } catch let error as VMMError {
            throw error
        } catch {
            throw .snapshot(.io(path: statePath, reason: "\(error)"))
        }
    }

    /// The machine shape a state file describes (memory, vCPUs, devices, exit
    /// controls), for building the machine to restore it into; host-only fields
    /// (serial output, KVM path) have their defaults for the caller to set.
    public static func snapshotConfiguration(statePath: String) throws(VMMError) -> MachineConfiguration {
        do { return try SavedMachine(path: statePath).configuration } catch { throw .snapshot(error) }
    }

    /// Builds a VM from `configuration` without loading a kernel and restores the
    /// snapshot into it: guest RAM from `memoryPath`, then the devices, the VM's
    /// irqchips, PIT and clock, then every vCPU. `start()` then continues the guest
    /// where it was paused.
    ///
    /// The whole state file is checked first (checksum, version, every section
    /// present and of the right size), and `configuration` must describe the same
    /// machine (memory size, vCPUs, devices), else `SnapshotError.mismatch`. On any
    /// error nothing is left half-loaded: the new VM is discarded.
    public convenience init(configuration: MachineConfiguration, restoringFrom statePath: String,
                            memoryPath: String) throws(VMMError) {
        let saved: SavedMachine
        do { saved = try SavedMachine(path: statePath) } catch { throw .snapshot(error) }
        if let mismatch = configuration.snapshotMismatch(against: saved.configuration) {
            throw .snapshot(mismatch)
        }
        try self.init(configuration: configuration, machine: MachineBuilder.build(configuration, restoring: true))
        try restore(saved, memoryPath: memoryPath)
    }

    private func restore(_ saved: SavedMachine, memoryPath: String) throws(VMMError) {
        let devices = savingDevices()
        for (vcpu, state) in zip(machine.vcpus, saved.vcpus) where state.fpuKind == .xsave {
            guard let size = vcpu.xsaveSize, size == state.fpu.count else {
                throw .snapshot(.unsupported("the snapshot's XSAVE area is \(state.fpu.count) bytes, this host's "
                    + (vcpu.xsaveSize.map { "is \($0)" } ?? "KVM has no XSAVE")))
            }
        }
        do {
            try MemorySnapshot.load(memory, from: memoryPath)
            for (name, device) in devices {
                guard let payload = saved.file.section(name) else { throw SnapshotError.missingSection(name) }
                var reader = StateReader(payload, context: name)
                try device.restoreState(from: &reader)
            }
        } catch let error as SnapshotError {
            throw .snapshot(error)
        } catch {
            throw .snapshot(.io(path: memoryPath, reason: "\(error)"))
        }
        do {
            try machine.vm.restoreState(saved.vm)
            for (vcpu, state) in zip(machine.vcpus, saved.vcpus) { try vcpu.restoreState(state) }
            _ = try takeDirtyPages()
        } catch { throw .kvm(error) }
        // Notifications pending at the snapshot were not kept: serve every ready
        // queue once (this also delivers vsock's transport-reset event).
        for transport in machine.virtio { transport.serveQueuesAfterRestore() }
    }

    /// Every device whose state goes into a snapshot, with its section name: the
    /// legacy devices, then each virtio transport ("virtio.N").
    private func savingDevices() -> [(name: String, device: any StateSaving)] {
        var devices: [(name: String, device: any StateSaving)] = [
            (machine.serial.stateSectionName, machine.serial),
            (machine.keyboard.stateSectionName, machine.keyboard),
            (machine.cmos.stateSectionName, machine.cmos),
        ]
        devices += machine.acpiDevices.map { ($0.stateSectionName, $0) }
        for (index, transport) in machine.virtio.enumerated() {
            devices.append((SavedMachine.virtioSectionName(index), transport))
        }
        return devices
    }

    /// Has each paused vCPU finish its last exit on its own thread (an `in`'s
    /// result, RIP past an I/O instruction), so the registers read are final.
    private func completePendingExits() {
        for control in controls where control.currentState == .paused {
            guard control.request.compareExchange(expected: VCPUControl.Request.pause.rawValue,
                                                  desired: VCPUControl.Request.complete.rawValue,
                                                  ordering: .acquiringAndReleasing).exchanged else { continue }
            control.wake.signal()
            control.parked.wait()
        }
    }

    /// The pages written since the last call, one bit per page of the memory file:
    /// KVM's dirty log (the guest's writes; reading clears it) and the VMM's own
    /// writes. Empty when tracking is off.
    private func takeDirtyPages() throws(KVMError) -> [UInt64] {
        guard configuration.trackDirtyPages, let vmmPages = memory.dirtyPages else { return [] }
        var dirty = vmmPages.take()
        let pageSize = DirtyPageBitmap.pageSize
        for (slot, (region, offset)) in zip(memory.regions, memory.fileOffsets).enumerated() {
            let pages = Int(region.range.size / pageSize)
            let log = try machine.vm.dirtyLog(slot: UInt32(slot), pageCount: pages)
            let first = Int(offset / pageSize)
            for (wordIndex, word) in log.enumerated() where word != 0 {
                for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 {
                    let page = first + wordIndex * 64 + bit
                    if page >> 6 < dirty.count { dirty[page >> 6] |= 1 << UInt64(page & 63) }
                }
            }
        }
        return dirty
    }
}
