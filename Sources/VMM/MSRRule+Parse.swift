import KVM

extension MSRRule {
    /// Parses `FIRST[-LAST]:ACCESSES:ACTION` (see `MSRRule`); errors name the part.
    public static func parse(_ text: String) throws(VMMError) -> MSRRule {
        func bad(_ reason: String) -> VMMError { .invalidConfiguration(option: "--msr \(text)", reason: reason) }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw bad("expected FIRST[-LAST]:r|w|rw:ACTION, e.g. 0x175:rw:record") }
        let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count <= 2, let first = ConfigurationNumber.parse(bounds[0]).flatMap(UInt32.init(exactly:)) else {
            throw bad("'\(parts[0])' is not an MSR index or range (e.g. 0x175 or 0x200-0x20f)")
        }
        var last = first
        if bounds.count == 2 {
            guard let end = ConfigurationNumber.parse(bounds[1]).flatMap(UInt32.init(exactly:)) else {
                throw bad("'\(bounds[1])' is not an MSR index")
            }
            last = end
        }
        guard last >= first else { throw bad("the range ends before it starts") }
        guard last - first < VMFD.maximumMSRFilterRangeSize else {
            throw bad("a range covers at most \(VMFD.maximumMSRFilterRangeSize) MSRs (KVM's bitmap limit)")
        }
        let accesses: (reads: Bool, writes: Bool)
        switch parts[1] {
        case "r": accesses = (true, false)
        case "w": accesses = (false, true)
        case "rw", "wr": accesses = (true, true)
        default: throw bad("accesses must be r, w or rw, not '\(parts[1])'")
        }
        return MSRRule(first: first, last: last, reads: accesses.reads, writes: accesses.writes,
                       action: try action(parts[2], bad))
    }

    private static func action(_ text: String, _ bad: (String) -> VMMError) throws(VMMError) -> Action {
        let pieces = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let argument = pieces.count == 2 ? pieces[1] : nil
        func value() throws(VMMError) -> UInt64 {
            guard let argument, let parsed = ConfigurationNumber.parse(argument) else {
                throw bad("'\(argument ?? "")' is not a 64-bit value")
            }
            return parsed
        }
        switch (pieces[0], argument) {
        case ("allow", nil): return .allow
        case ("gp", nil): return .generalProtection
        case ("value", _?): return .value(try value())
        case ("record", nil): return .record(initial: 0)
        case ("record", _?): return .record(initial: try value())
        default: throw bad("action must be allow, gp, value=V, record or record=V, not '\(text)'")
        }
    }

    /// The KVM filter ranges for `rules`, in order (KVM lets the first covering range decide).
    static func filterRanges(_ rules: [MSRRule]) throws(VMMError) -> [MSRFilterRange] {
        guard rules.count <= VMFD.maximumMSRFilterRanges else {
            throw .invalidConfiguration(option: "--msr", reason: "\(rules.count) rules; KVM's MSR filter takes at most "
                + "\(VMFD.maximumMSRFilterRanges)")
        }
        return rules.map { rule in
            MSRFilterRange(base: rule.first, count: rule.count, reads: rule.reads, writes: rule.writes,
                           allowed: rule.action == .allow)
        }
    }
}
