import VMM

/// Where the experiments' probe windows sit in the lab guest's machine. The MMIO
/// windows are in the 3-4 GiB hole (the guest maps it with 2 MiB pages, user
/// accessible), away from the virtio slots at 0xd0000000 and the APICs.
public enum LabMachine {
    /// A port device that counts writes (trapped).
    public static let counterPort: UInt16 = 0x510
    /// The "hypercall port": a guest `in` here is a call into the VMM, which answers.
    public static let hypercallPort: UInt16 = 0x514
    /// What the VMM answers on the hypercall port.
    public static let hypercallAnswer: UInt64 = 0x1AB
    public static let trappedMMIO: UInt64 = 0xE000_0000
    public static let coalescedMMIO: UInt64 = 0xE000_1000
    public static let ioeventfdMMIO: UInt64 = 0xE000_2000
    /// RAM: the shared page polled on a timer.
    public static let sharedPage: UInt64 = 0x0200_0000
    /// RAM: buffers for the TLB experiments (2 MiB-aligned, mapped by 2 MiB guest pages).
    public static let buffer: UInt64 = 0x0400_0000

    /// Every probe window, with the delivery its name says.
    public static let probes: [ProbeWindow] = [
        ProbeWindow(name: "counter-port", space: .port, base: UInt64(counterPort), size: 1),
        ProbeWindow(name: "hypercall-port", space: .port, base: UInt64(hypercallPort), size: 4,
                    readValue: hypercallAnswer),
        ProbeWindow(name: "trapped-mmio", space: .mmio, base: trappedMMIO, size: 0x1000),
        ProbeWindow(name: "coalesced-mmio", space: .mmio, base: coalescedMMIO, size: 0x1000, delivery: .coalesced),
        ProbeWindow(name: "ioeventfd-mmio", space: .mmio, base: ioeventfdMMIO, size: 0x1000, delivery: .ioeventfd),
    ]

    /// A request for `operation` in the standard lab machine (all probe windows).
    public static func request(_ operation: LabOperation, n: Int) -> LabGuestRequest {
        var request = LabGuestRequest(operation, n: UInt64(max(n, 0)))
        request.probes = probes
        return request
    }
}

/// The exits a run makes besides the ones being measured: the guest's start and its
/// debug exit, from a run with n = 0 of the same machine.
public struct LabBaseline: Sendable {
    public var userExits: UInt64
    public var kernelExits: UInt64?

    public static func measure() throws(LabError) -> LabBaseline {
        let run = try LabGuest.run(LabMachine.request(.native, n: 0))
        return LabBaseline(userExits: run.report.totalExits, kernelExits: run.kernelExits)
    }

    /// Exits to user space in `run` beyond the baseline.
    public func userExits(of run: LabGuestRun) -> UInt64 {
        run.report.totalExits &- min(userExits, run.report.totalExits)
    }

    /// Exits KVM saw in `run` beyond the baseline (nil without KVM statistics).
    /// Host timer interrupts and the like make this approximate.
    public func kernelExits(of run: LabGuestRun) -> Int64? {
        guard let total = run.kernelExits, let base = kernelExits else { return nil }
        return Int64(bitPattern: total &- base)
    }
}
