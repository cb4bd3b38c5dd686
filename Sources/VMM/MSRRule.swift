/// One entry of the MSR policy (`--msr`): which accesses to a range of MSRs leave
/// the guest, and what user space does with them. Rules are checked in order;
/// MSRs no rule names are handled by KVM as usual (no exit).
///
/// Text form `FIRST[-LAST]:ACCESSES:ACTION`, e.g. `0x175:rw:record`,
/// `0x1a0:w:value=0`, `0xc0000080-0xc0000084:r:gp`, `0x10:rw:allow`:
/// - ACCESSES: `r`, `w` or `rw`, the accesses the rule covers;
/// - ACTION: `allow` (KVM handles them, no exit: carves an exception out of a
///   later rule), `gp` (exit, inject #GP), `value=V` (exit; reads return V, writes
///   are ignored), `record` or `record=V` (exit; writes are kept per vCPU, reads
///   return the last value written, V before any).
public struct MSRRule: Sendable, Equatable, CustomStringConvertible {
    public enum Action: Sendable, Equatable {
        case allow
        case generalProtection
        case value(UInt64)
        case record(initial: UInt64)
    }

    public var first: UInt32
    public var last: UInt32
    public var reads: Bool
    public var writes: Bool
    public var action: Action

    public init(first: UInt32, last: UInt32? = nil, reads: Bool, writes: Bool, action: Action) {
        self.first = first
        self.last = last ?? first
        self.reads = reads
        self.writes = writes
        self.action = action
    }

    public var count: UInt32 { last &- first &+ 1 }

    /// Whether the rule covers this access.
    @inline(__always)
    func covers(_ index: UInt32, write: Bool) -> Bool {
        index >= first && index <= last && (write ? writes : reads)
    }

    public var description: String {
        let range = first == last ? hex(first) : "\(hex(first))-\(hex(last))"
        let accesses = (reads ? "r" : "") + (writes ? "w" : "")
        let action: String
        switch self.action {
        case .allow: action = "allow"
        case .generalProtection: action = "gp"
        case .value(let value): action = "value=0x\(String(value, radix: 16))"
        case .record(let initial): action = initial == 0 ? "record" : "record=0x\(String(initial, radix: 16))"
        }
        return "\(range):\(accesses):\(action)"
    }

    private func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}
