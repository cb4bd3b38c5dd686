import KVM

/// What a guest's HLT costs (`--halt`).
public enum HaltMode: Sendable, Equatable, CustomStringConvertible {
    /// HLT exits to KVM, which puts the vCPU thread to sleep until an interrupt
    /// (after the host's default halt polling, `/sys/module/kvm/parameters/halt_poll_ns`).
    case inKernel
    /// As `inKernel`, but KVM busy-polls for up to this many nanoseconds before
    /// sleeping (KVM_CAP_HALT_POLL): lower wake-up latency, host CPU burned while idle.
    case poll(nanoseconds: UInt64)
    /// HLT does not exit at all (KVM_CAP_X86_DISABLE_EXITS, HLT): the CPU halts in
    /// guest mode. The lowest latency; the host sees the vCPU thread as running,
    /// and the halt monitor never sees the vCPU blocked, so a guest that halts with
    /// interrupts off is not detected and runs until stopped.
    case guest

    public static let defaultPollNanoseconds: UInt64 = 1_000_000

    /// Parses `in-kernel`, `poll`, `poll=NS` or `guest`.
    public static func parse(_ text: String) throws(VMMError) -> HaltMode {
        switch text {
        case "in-kernel": return .inKernel
        case "guest": return .guest
        case "poll": return .poll(nanoseconds: defaultPollNanoseconds)
        default:
            if text.hasPrefix("poll="), let value = UInt64(text.dropFirst(5)), value > 0, value <= 10_000_000_000 {
                return .poll(nanoseconds: value)
            }
            throw .invalidConfiguration(option: "--halt \(text)",
                                        reason: "expected in-kernel, poll, poll=NANOSECONDS (1 to 10^10) or guest")
        }
    }

    public var description: String {
        switch self {
        case .inKernel: return "in-kernel"
        case .poll(let nanoseconds): return "poll=\(nanoseconds)"
        case .guest: return "guest"
        }
    }
}

/// A KVM coalesced MMIO or PIO zone from the configuration (`--coalesced`).
public struct CoalescedZone: Sendable, Equatable {
    public var space: IOSpace
    public var address: UInt64
    public var size: UInt32

    public init(space: IOSpace, address: UInt64, size: UInt32) {
        self.space = space
        self.address = address
        self.size = size
    }

    /// Parses `mmio:ADDRESS:SIZE` or `pio:PORT:SIZE` (numbers decimal or 0x hex).
    public static func parse(_ text: String) throws(VMMError) -> CoalescedZone {
        func bad(_ reason: String) -> VMMError { .invalidConfiguration(option: "--coalesced \(text)", reason: reason) }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw bad("expected mmio:ADDRESS:SIZE or pio:PORT:SIZE") }
        let space: IOSpace
        switch parts[0] {
        case "mmio": space = .mmio
        case "pio": space = .port
        default: throw bad("the space must be mmio or pio, not '\(parts[0])'")
        }
        guard let address = ConfigurationNumber.parse(parts[1]) else { throw bad("'\(parts[1])' is not an address") }
        guard let size = ConfigurationNumber.parse(parts[2]).flatMap(UInt32.init(exactly:)), size > 0 else {
            throw bad("'\(parts[2])' is not a size (1 to 2^32-1 bytes)")
        }
        let (end, overflow) = address.addingReportingOverflow(UInt64(size))
        if space == .port && (overflow || end > 0x10000) { throw bad("ports end at 0xffff") }
        if overflow { throw bad("the zone wraps past the end of the address space") }
        return CoalescedZone(space: space, address: address, size: size)
    }
}

extension MachineBuilder {
    /// `--halt` and `--pause-exits off`: the VM-wide exit controls KVM offers.
    static func applyExitControls(_ configuration: MachineConfiguration, system: KVMSystem, vm: VMFD)
        throws(VMMError)
    {
        var disabled: UInt64 = 0
        switch configuration.halt {
        case .inKernel: break
        case .poll(let nanoseconds):
            guard system.check(.haltPoll) > 0 else {
                throw .invalidConfiguration(option: "--halt poll", reason: "this KVM lacks KVM_CAP_HALT_POLL")
            }
            do { try vm.enable(.haltPoll, arguments: [nanoseconds]) } catch { throw .kvm(error) }
        case .guest:
            disabled |= DisableExits.hlt
        }
        if !configuration.pauseExits { disabled |= DisableExits.pause }
        guard disabled != 0 else { return }
        let supported = UInt64(max(system.check(.disableExits), 0))
        guard supported & disabled == disabled else {
            let option = disabled & DisableExits.hlt != 0 ? "--halt guest" : "--pause-exits off"
            throw .invalidConfiguration(option: option, reason: "KVM_CAP_X86_DISABLE_EXITS does not offer it here "
                + "(supported mask 0x\(String(supported, radix: 16)))")
        }
        do { try vm.enable(.disableExits, arguments: [disabled]) } catch { throw .kvm(error) }
    }

    /// KVM_X86_DISABLE_EXITS_* bits.
    enum DisableExits {
        static let hlt: UInt64 = 1 << 1
        static let pause: UInt64 = 1 << 2
    }
}
