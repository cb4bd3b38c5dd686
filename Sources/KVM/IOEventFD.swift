import CKVM

/// Which bus an ioeventfd or coalesced zone watches.
public enum IOSpace: Sendable, Equatable {
    case mmio
    case port
}

extension VMFD {
    /// KVM_IOEVENTFD: from now on a guest write of `length` bytes to `address`
    /// (equal to `value`, when given) signals `event` inside KVM and returns to the
    /// guest at once: no exit to user space. The write's data is discarded.
    public func registerIOEventFD(_ event: EventFD, space: IOSpace = .mmio, address: UInt64, length: UInt32,
                                  value: UInt64? = nil) throws(KVMError) {
        var request = ioEventRequest(event, space: space, address: address, length: length, value: value)
        _ = try kvmIoctl(descriptor.rawValue, CKVM_IOEVENTFD, value: &request, "KVM_IOEVENTFD")
    }

    /// Removes an ioeventfd registered with the same arguments.
    public func unregisterIOEventFD(_ event: EventFD, space: IOSpace = .mmio, address: UInt64, length: UInt32,
                                    value: UInt64? = nil) throws(KVMError) {
        var request = ioEventRequest(event, space: space, address: address, length: length, value: value)
        request.flags |= CKVM_IOEVENTFD_FLAG_DEASSIGN
        _ = try kvmIoctl(descriptor.rawValue, CKVM_IOEVENTFD, value: &request, "KVM_IOEVENTFD (deassign)")
    }

    private func ioEventRequest(_ event: EventFD, space: IOSpace, address: UInt64, length: UInt32,
                                value: UInt64?) -> kvm_ioeventfd {
        var request = kvm_ioeventfd()
        request.addr = address
        request.len = length
        request.fd = event.descriptor.rawValue
        if space == .port { request.flags |= CKVM_IOEVENTFD_FLAG_PIO }
        if let value {
            request.datamatch = value
            request.flags |= CKVM_IOEVENTFD_FLAG_DATAMATCH
        }
        return request
    }

    /// KVM_REGISTER_COALESCED_MMIO: guest writes to `[address, address + size)` are
    /// queued in the coalesced ring inside KVM instead of exiting; the VMM replays
    /// them at its next exit. Only for registers whose writes may arrive late and
    /// that are never read back in between.
    public func registerCoalesced(space: IOSpace = .mmio, address: UInt64, size: UInt32) throws(KVMError) {
        var zone = kvm_coalesced_mmio_zone()
        zone.addr = address
        zone.size = size
        zone.pio = space == .port ? 1 : 0
        _ = try kvmIoctl(descriptor.rawValue, CKVM_REGISTER_COALESCED_MMIO, value: &zone,
                         "KVM_REGISTER_COALESCED_MMIO")
    }
}
