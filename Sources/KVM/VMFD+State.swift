import CKVM
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The VM-wide state KVM holds in the kernel: the two 8259s, the I/O APIC, the
/// PIT and the kvmclock, each the raw bytes of its kvm struct.
public struct VMSavedState: Sendable, Equatable {
    public var picMaster: [UInt8]
    public var picSlave: [UInt8]
    public var ioapic: [UInt8]
    public var pit: [UInt8]
    public var clock: [UInt8]

    public init(picMaster: [UInt8], picSlave: [UInt8], ioapic: [UInt8], pit: [UInt8], clock: [UInt8]) {
        self.picMaster = picMaster
        self.picSlave = picSlave
        self.ioapic = ioapic
        self.pit = pit
        self.clock = clock
    }
}

extension VMFD {
    /// Reads the in-kernel irqchips, PIT and clock (every vCPU stopped).
    public func saveState() throws(KVMError) -> VMSavedState {
        let fd = descriptor.rawValue
        return VMSavedState(
            picMaster: try irqchip(CKVM_IRQCHIP_PIC_MASTER),
            picSlave: try irqchip(CKVM_IRQCHIP_PIC_SLAVE),
            ioapic: try irqchip(CKVM_IRQCHIP_IOAPIC),
            pit: try kvmGetBytes(fd, CKVM_GET_PIT2, size: KVMStateLayout.pit, "KVM_GET_PIT2"),
            clock: try kvmGetBytes(fd, CKVM_GET_CLOCK, size: KVMStateLayout.clock, "KVM_GET_CLOCK"))
    }

    /// Writes them into a fresh VM in the order PIT, clock, irqchips.
    public func restoreState(_ state: VMSavedState) throws(KVMError) {
        let fd = descriptor.rawValue
        try kvmSetBytes(fd, CKVM_SET_PIT2, state.pit, size: KVMStateLayout.pit, "KVM_SET_PIT2")
        try kvmSetBytes(fd, CKVM_SET_CLOCK, Self.clockForRestore(state.clock), size: KVMStateLayout.clock,
                        "KVM_SET_CLOCK")
        try setIRQChip(CKVM_IRQCHIP_PIC_MASTER, state.picMaster)
        try setIRQChip(CKVM_IRQCHIP_PIC_SLAVE, state.picSlave)
        try setIRQChip(CKVM_IRQCHIP_IOAPIC, state.ioapic)
    }

    private func irqchip(_ chip: UInt32) throws(KVMError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: KVMStateLayout.irqchip)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: chip, as: UInt32.self) }
        _ = try kvmIoctl(descriptor.rawValue, CKVM_GET_IRQCHIP, bytes: &bytes, "KVM_GET_IRQCHIP")
        return bytes
    }

    private func setIRQChip(_ chip: UInt32, _ bytes: [UInt8]) throws(KVMError) {
        guard bytes.count == KVMStateLayout.irqchip,
              bytes.withUnsafeBytes({ $0.load(as: UInt32.self) }) == chip else {
            throw .unexpected(operation: "KVM_SET_IRQCHIP", detail: "the saved state is not chip \(chip)'s")
        }
        try kvmSetBytes(descriptor.rawValue, CKVM_SET_IRQCHIP, bytes, size: KVMStateLayout.irqchip, "KVM_SET_IRQCHIP")
    }

    /// The clock with its flags cleared: the guest's clock continues from the saved
    /// value instead of jumping by the host time that passed (KVM_CLOCK_REALTIME).
    static func clockForRestore(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count == KVMStateLayout.clock else { return bytes }
        var clock = kvm_clock_data()
        withUnsafeMutableBytes(of: &clock) { $0.copyBytes(from: bytes) }
        clock.flags = 0
        return withUnsafeBytes(of: &clock) { Array($0) }
    }

    /// KVM_GET_DIRTY_LOG: the pages of memory slot `slot` (of `pageCount` pages)
    /// the guest wrote since the last call, one bit per page in 64-bit words.
    /// Reading clears the log. The slot must log dirty pages.
    public func dirtyLog(slot: UInt32, pageCount: Int) throws(KVMError) -> [UInt64] {
        var words = [UInt64](repeating: 0, count: (pageCount + 63) / 64)
        let result = words.withUnsafeMutableBytes { raw in
            ckvm_get_dirty_log(descriptor.rawValue, slot, raw.baseAddress)
        }
        guard result >= 0 else {
            throw .ioctlFailed(operation: "KVM_GET_DIRTY_LOG", errno: Errno(rawValue: errno))
        }
        return words
    }
}
