#if canImport(Glibc)
import Glibc
#endif
import Memory
import VMM

/// page-walk: the guest's own page tables, read from a running guest, and the
/// two-dimensional walk they would cost, modelled from the page sizes on both levels.
public struct PageWalk: LabExperiment {
    public init() {}
    public let name = "page-walk"
    public let summary = "walk a running guest's page tables (GVA to GPA) from its CR3; model the 2D (EPT) walk's references"
    public let defaultN = 1
    /// The spinning guest touches this much of its buffer (two 2 MiB guest pages).
    static let touched: UInt64 = 4 << 20

    public func run(_ lab: LabContext) throws(LabError) -> LabResult {
        var request = LabMachine.request(.spin, n: 0)
        request.address = LabMachine.buffer
        request.size = Self.touched
        request.memorySize = 128 << 20
        let machine = try LabGuest.machine(for: request)
        do { try machine.start() } catch { throw .machine("cannot start the lab VM: \(error)") }
        defer {
            machine.requestStop(.stopRequested)
            machine.wait()
        }
        try waitUntilSpinning(machine)
        do { try machine.pause() } catch { throw .machine("cannot pause the guest: \(error)") }
        let registers, special: (rip: UInt64, rsp: UInt64, cr3: UInt64, cr4: UInt64, efer: UInt64)
        do {
            let general = try machine.registers(vcpu: 0)
            let system = try machine.specialRegisters(vcpu: 0)
            registers = (general.rip, general.rsp, system.cr3, system.cr4, system.efer)
            special = registers
        } catch { throw .machine("cannot read the paused vCPU's registers: \(error)") }
        let fiveLevel = special.cr4 & (1 << 12) != 0
        let memory = machine.memory
        let targets: [(key: String, label: String, address: UInt64)] = [
            ("rip", "RIP: the guest's CPL 3 loop", registers.rip),
            ("rsp", "RSP: the guest's user stack", registers.rsp),
            ("buffer", "a RAM buffer the guest touched", LabMachine.buffer + 0x1234),
        ]
        var result = LabResult(
            name: name,
            question: "What does translating one guest virtual address cost? Paused at CPL 3, the guest's CR3 is "
                + "read from its vCPU and its page tables from its memory (READ FROM THE GUEST); the references "
                + "of a two-dimensional walk are then computed (MODELLED).",
            n: 1)
        result.counts["cr3"] = special.cr3
        var modelGrid: [LabRow] = []
        for target in targets {
            let walk = PageWalker.walk(virtualAddress: target.address, cr3: special.cr3, fiveLevel: fiveLevel) {
                try? memory.load(UInt64.self, at: GuestAddress($0))
            }
            let kvm = try? machine.translate(vcpu: 0, linearAddress: target.address)
            var lines = ["read from the guest: CR3 \(LabFormat.hex(special.cr3)), \(fiveLevel ? 5 : 4)-level paging, "
                + "GVA \(LabFormat.hex(target.address))"]
            for step in walk.steps {
                let leads: String
                if let size = step.pageSize, let page = step.next {
                    leads = "-> \(PageWalker.sizeName(size)) page at GPA \(LabFormat.hex(page))"
                } else if let next = step.next {
                    leads = "-> next table at GPA \(LabFormat.hex(next))"
                } else {
                    leads = "-> not present"
                }
                let entry = "\(step.table)[\(step.index)]".padding(9)
                lines.append("\(entry) entry at GPA \(LabFormat.hex(step.entryAddress, width: 8)) = "
                    + "\(LabFormat.hex(step.value, width: 16))  \(step.flags.joined(separator: " ").padding(17)) \(leads)")
            }
            if let fault = walk.fault { lines.append("walk stopped: \(fault)") }
            if let physical = walk.physicalAddress {
                let agreement = kvm.map { $0 == physical ? "KVM_TRANSLATE agrees" : "KVM_TRANSLATE says \(LabFormat.hex($0))" }
                    ?? "KVM_TRANSLATE unavailable"
                lines.append("=> GPA \(LabFormat.hex(physical)) in a \(PageWalker.sizeName(walk.pageSize ?? 0)) guest page "
                    + "(\(agreement))")
            }
            // Modelled: each translated GPA's host page size -> EPT levels.
            let backing = walk.translatedAddresses.map { hostPageSize(ofGuestAddress: $0, memory: memory) }
            let hostLevels = backing.map { NestedWalkModel.levels(pageSize: $0 ?? 4096) }
            let references = NestedWalkModel.references(hostLevelsPerAddress: hostLevels)
            let hugeCount = backing.filter { $0 == 2 << 20 }.count
            lines.append("modelled: the \(backing.count) GPAs a 2D walk translates (\(walk.steps.count) table entries "
                + "+ the data) are backed by \(hugeCount) huge and \(backing.count - hugeCount) small host pages "
                + "(/proc/self/pagemap + /proc/kpageflags\(backing.contains(nil) ? "; unknown ones taken as 4 KiB" : "")) "
                + "-> host levels \(hostLevels.map(String.init).joined(separator: ",")) -> \(references) references "
                + "(native: \(walk.guestReferences))")
            result.sections.append(LabSection(title: "\(target.label)", lines: lines))
            let key = target.key
            result.counts["\(key).guestLevels"] = UInt64(walk.guestReferences)
            result.counts["\(key).references2D"] = UInt64(references)
            result.counts["\(key).kvmAgrees"] = (kvm != nil && kvm == walk.physicalAddress) ? 1 : 0
            result.rows.append(LabRow("\(target.key.uppercased()): guest walk (read)", here: "\(walk.guestReferences) entries, "
                + "\(walk.pageSize.map(PageWalker.sizeName) ?? "unmapped") page", seed: "4 levels", ratio: ""))
            result.rows.append(LabRow("  2D walk with this host backing (modelled)", here: "\(references) references",
                                      seed: "up to 24 (16 or more)",
                                      ratio: LabFormat.ratio(Double(references) / Double(max(walk.guestReferences, 1)))
                                          + " native"))
        }
        for (guest, host) in [(4096, 4096), (4096, 2 << 20), (2 << 20, 4096), (2 << 20, 2 << 20), (1 << 30, 1 << 30)]
            as [(UInt64, UInt64)] {
            let g = NestedWalkModel.levels(pageSize: guest), h = NestedWalkModel.levels(pageSize: host)
            let references = NestedWalkModel.references(guestLevels: g, hostLevels: h)
            modelGrid.append(LabRow("guest \(PageWalker.sizeName(guest)), host \(PageWalker.sizeName(host))",
                                    here: "\(references) references (g=\(g), h=\(h): g(h+1)+h)",
                                    seed: guest == 4096 && host == 4096 ? "up to 24; 4x4 = 16 or more" : "fewer with huge pages",
                                    ratio: LabFormat.ratio(Double(references) / Double(g)) + " native"))
        }
        result.rows.append(LabRow("MODELLED, every page size pair:", here: ""))
        result.rows += modelGrid
        result.notes.append("READ FROM THE GUEST: CR3, CR4 (KVM_GET_SREGS on the paused vCPU), RIP and RSP "
            + "(KVM_GET_REGS), every table entry (guest memory). MODELLED: the 2D counts; they assume empty TLBs "
            + "and paging-structure caches, and an EPT/NPT that maps each GPA with the host page backing it. KVM "
            + "decides the actual EPT mapping (it may split a huge page, e.g. for dirty logging).")
        if lab.host.nested {
            result.notes.append("On this host (\(lab.host.kvmModules.joined(separator: ", ")), nested) there is no "
                + "EPT/NPT at all: KVM keeps shadow page tables (GVA to host physical), so the hardware does a "
                + "one-dimensional walk of those. The 2D figures are what a VT-x/AMD-V host would do.")
        }
        return result
    }

    /// Waits (up to 10 s) for the guest to reach its CPL 3 spin loop.
    func waitUntilSpinning(_ machine: VirtualMachine) throws(LabError) {
        for _ in 0..<10_000 {
            if LabGuest.results(in: machine.memory)?.status == LabGuestImage.statusRunning { return }
            if machine.vcpuStates.allSatisfy({ $0 == .stopped }) { break }
            usleep(1000)
        }
        throw .guestFailed(operation: "spin", detail: "the guest did not reach its CPL 3 loop")
    }

    /// The size of the host page backing a guest physical address (nil: unknown).
    func hostPageSize(ofGuestAddress address: UInt64, memory: GuestMemory) -> UInt64? {
        guard let region = memory.regions.first(where: { $0.range.contains(GuestAddress(address)) }) else { return nil }
        let host = UInt(bitPattern: region.host) + UInt(address - region.range.start.rawValue)
        return HostPages.isTransparentHuge(hostAddress: host).map { $0 ? 2 << 20 : 4096 }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
