import CPUModel
import Foundation
import Testing

/// Compares what a guest read with CPUID to the table the policy made, bit for
/// bit, except bits that are not the VMM's to set:
/// - on every host, bits KVM computes at run time: OSXSAVE (CPUID.1:ECX[27],
///   from CR4.OSXSAVE), OSPKE (CPUID.7.0:ECX[4], from CR4.PKE), and the XSAVE
///   area sizes of the enabled components (CPUID.0xD.0:EBX, 0xD.1:EBX, from XCR0/XSS);
/// - on a host whose KVM is the nested `kvm_pvm` variant (the development host),
///   the registers it fills from the hardware whatever the table says (measured,
///   and the same under QEMU): CPUID.1:EDX, CPUID.1:ECX except bits 13 (CX16),
///   21 (x2APIC), 24 (TSC deadline) and 31 (hypervisor), and leaves 0x7 and 0xD.
enum CPUIDComparison {
    static let kvmPassesFeatureLeavesThrough = FileManager.default.fileExists(atPath: "/sys/module/kvm_pvm")

    static let passThroughNote = "not compared on this host, whose KVM (kvm_pvm) fills them from the hardware "
        + "(the same under QEMU): CPUID.1:EDX, CPUID.1:ECX except bits 13, 21, 24, 31, leaves 0x7 and 0xD"

    /// Says once per test run what is not compared here, if anything.
    static let printPassThroughNote: Void = {
        if kvmPassesFeatureLeavesThrough { print("cpuid.elf: \(passThroughNote)") }
    }()

    /// The bits of `location` a guest must see exactly as the table has them.
    static func comparedBits(_ location: CPUIDLocation) -> UInt32 {
        var bits = UInt32.max
        switch (location.leaf, location.subleaf, location.register) {
        case (0x1, 0, .ecx): bits &= ~(1 << 27)
        case (0x7, 0, .ecx): bits &= ~(1 << 4)
        case (0xD, 0, .ebx), (0xD, 1, .ebx): bits = 0
        default: break
        }
        if kvmPassesFeatureLeavesThrough {
            switch (location.leaf, location.register) {
            case (0x1, .edx), (0x7, _), (0xD, _): bits = 0
            case (0x1, .ecx): bits &= 1 << 13 | 1 << 21 | 1 << 24 | 1 << 31
            default: break
            }
        }
        return bits
    }

    /// Every entry the guest printed must be in `expected` and equal it in the
    /// compared bits. Returns how many bits were compared.
    @discardableResult
    static func expectEqual(guest: CPUIDView, expected: CPUIDTable, _ context: String,
                            sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        #expect(guest.malformed.isEmpty, "\(context): unparsable lines \(guest.malformed)", sourceLocation: sourceLocation)
        var compared = 0
        for entry in guest.entries {
            guard let want = expected.entry(function: entry.function, index: entry.index) else {
                let leaf = "0x\(String(entry.function, radix: 16)).\(entry.index)"
                Issue.record("\(context): the guest printed leaf \(leaf), which the table does not have",
                             sourceLocation: sourceLocation)
                continue
            }
            for register in CPUIDRegister.allCases {
                let location = CPUIDLocation(leaf: entry.function, subleaf: entry.index, register: register)
                let mask = comparedBits(location)
                compared += mask.nonzeroBitCount
                let differing = (entry[register] ^ want[register]) & mask
                let message = "\(context): \(location): guest \(CPUIDReport.hex(entry[register])), table "
                    + "\(CPUIDReport.hex(want[register])), differing bits 0x\(String(differing, radix: 16))"
                    + describe(differing, at: location)
                #expect(differing == 0, Comment(rawValue: message), sourceLocation: sourceLocation)
            }
        }
        return compared
    }

    /// " (avx, f16c)": the named features among `bits`.
    static func describe(_ bits: UInt32, at location: CPUIDLocation) -> String {
        let names = CPUFeatureCatalog.features.filter { $0.location == location && bits & $0.mask != 0 }.map(\.name)
        return names.isEmpty ? "" : " (\(names.joined(separator: ", ")))"
    }

    /// Whether the guest's view of `feature` can be compared on this host (its leaf was printed).
    static func comparable(_ feature: CPUFeature, in guest: CPUIDView) -> Bool {
        guest[feature.location] != nil && comparedBits(feature.location) & feature.mask != 0
    }
}
