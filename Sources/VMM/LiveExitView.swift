/// The line `--stats-interval` prints: exits per second by reason since the
/// previous snapshot, busiest first, e.g.
/// `vmm: 4.0 s: 1520 exits/s to user space (io-out 1200, mmio-read 320); 3100 exits/s seen by KVM`.
public enum LiveExitView {
    public static func line(from previous: ExitSnapshot, to current: ExitSnapshot, start: UInt64) -> String {
        let seconds = Double(current.time &- previous.time) / 1e9
        guard seconds > 0 else { return "vmm: no time elapsed" }
        let rates = ExitReason.allCases.compactMap { reason -> (String, UInt64)? in
            let delta = current.total(reason) &- previous.total(reason)
            return delta == 0 ? nil : (reason.name, UInt64((Double(delta) / seconds).rounded()))
        }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        let total = UInt64((Double(current.totalExits &- previous.totalExits) / seconds).rounded())
        var text = "vmm: \(format(Double(current.time &- start) / 1e9)) s: \(total) exits/s to user space"
        if !rates.isEmpty { text += " (" + rates.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")" }
        if let now = current.totalKernelExits, let before = previous.totalKernelExits {
            text += "; \(UInt64((Double(now &- before) / seconds).rounded())) exits/s seen by KVM"
        }
        return text
    }

    /// One decimal.
    static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
