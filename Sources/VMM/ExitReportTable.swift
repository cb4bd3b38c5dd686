extension ExitReport {
    /// KVM counters worth showing beside ours, in this order.
    static let kvmCountersShown = [
        "exits", "io_exits", "mmio_exits", "halt_exits", "irq_exits", "signal_exits",
        "insn_emulation", "insn_emulation_fail", "hypercalls", "pf_taken",
    ]

    /// The human-readable exit profile printed by `--stats`.
    /// `portRanges` names the devices on the port bus, so exits can be shown by device.
    public func table(portRanges: [(name: String, base: UInt64, size: UInt64)] = []) -> String {
        var lines: [String] = []
        lines.append("Exit profile: \(vcpus.count) vCPU\(vcpus.count == 1 ? "" : "s"), "
            + "\(Self.formatNanoseconds(wallNanoseconds)) wall, \(totalExits) exits to user space")
        if let stopReason { lines.append("Stopped: \(stopReason)") }
        lines.append("")
        lines.append(Self.row(["reason", "count", "total", "mean", "p50", "p99", "max"]))
        for summary in totals {
            lines.append(Self.row([
                summary.reason, String(summary.count), Self.formatNanoseconds(summary.totalNanoseconds),
                Self.formatNanoseconds(summary.meanNanoseconds), Self.formatNanoseconds(summary.p50Nanoseconds),
                Self.formatNanoseconds(summary.p99Nanoseconds), Self.formatNanoseconds(summary.maxNanoseconds),
            ]))
        }
        lines.append("(times: user space per exit, from KVM_RUN's return to the next KVM_RUN)")
        let ports = merge(vcpus.map(\.ports))
        if !ports.isEmpty {
            lines.append("")
            lines.append("Ports: " + ports.prefix(12).map { entry in
                let name = portRanges.first { entry.address >= $0.base && entry.address - $0.base < $0.size }
                    .map { " (\($0.name))" } ?? ""
                return "0x\(String(entry.address, radix: 16))\(name) \(entry.count)"
            }.joined(separator: ", "))
        }
        let addressLists: [(String, KeyPath<VCPUReport, [AddressCount]>)] = [
            ("Unassigned ports (read as all ones, writes dropped)", \.unassignedPorts),
            ("MMIO pages", \.mmioPages),
            ("Unassigned MMIO (read as all ones, writes dropped)", \.unassignedMMIO),
            ("Coalesced writes (queued by KVM, no exit each; by page or port)", \.coalescedWrites),
            ("MSR reads (filtered, by MSR)", \.msrReads),
            ("MSR writes (filtered, by MSR)", \.msrWrites),
        ]
        for (title, list) in addressLists {
            let entries = merge(vcpus.map { $0[keyPath: list] })
            if !entries.isEmpty {
                lines.append("\(title): " + entries.prefix(12)
                    .map { "0x\(String($0.address, radix: 16)) \($0.count)" }.joined(separator: ", "))
            }
        }
        let kvmShown = Self.kvmCountersShown.compactMap { name in kvmCounter(name).map { "\(name) \($0)" } }
        if !kvmShown.isEmpty {
            lines.append("")
            lines.append("Inside KVM (KVM_GET_STATS_FD): 'exits' counts every exit KVM saw, including those it "
                + "handled itself; 'insn_emulation' counts instructions run by KVM's emulator")
            lines.append("  " + kvmShown.joined(separator: ", "))
            if let all = kvmCounter("exits") {
                let kernelOnly = all > totalExits ? all - totalExits : 0
                lines.append("  exits handled in the kernel without reaching swift-vmm: \(kernelOnly)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func merge(_ lists: [[AddressCount]]) -> [AddressCount] {
        var sums: [UInt64: UInt64] = [:]
        for list in lists { for entry in list { sums[entry.address, default: 0] += entry.count } }
        return sums.map { AddressCount(address: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.address < $1.address }
    }

    private static func row(_ cells: [String]) -> String {
        let widths = [16, 10, 11, 10, 10, 10, 10]
        return zip(cells, widths).enumerated().map { index, pair in
            let (cell, width) = pair
            let padding = String(repeating: " ", count: max(0, width - cell.count))
            return index == 0 ? cell + padding : padding + cell
        }.joined()
    }

    /// "850 ns", "12.3 µs", "4.56 ms", "1.23 s".
    static func formatNanoseconds(_ value: UInt64) -> String {
        let v = Double(value)
        func fixed(_ x: Double, _ digits: Int) -> String {
            var scale = 1.0
            for _ in 0..<digits { scale *= 10 }
            let rounded = (x * scale).rounded() / scale
            var text = String(rounded)
            if let dot = text.firstIndex(of: ".") {
                let decimals = text.distance(from: dot, to: text.endIndex) - 1
                if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
            }
            return text
        }
        if value < 1_000 { return "\(value) ns" }
        if value < 1_000_000 { return fixed(v / 1e3, 1) + " µs" }
        if value < 1_000_000_000 { return fixed(v / 1e6, 2) + " ms" }
        return fixed(v / 1e9, 2) + " s"
    }
}
