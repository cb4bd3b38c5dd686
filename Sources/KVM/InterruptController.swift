import CKVM

#if canImport(Glibc)
import Glibc
#endif

/// An interrupt controller input KVM can route a GSI to.
public enum IRQChipPin: Sendable, Equatable {
    /// The master 8259 (ISA IRQs 0-7) or the slave (IRQs 8-15), pin 0-7.
    case picMaster(UInt32)
    case picSlave(UInt32)
    /// The I/O APIC, pin 0-23.
    case ioapic(UInt32)
}

/// One entry of the GSI routing table: interrupts raised on `gsi` reach `pin`.
public struct IRQRoute: Sendable, Equatable {
    public var gsi: UInt32
    public var pin: IRQChipPin

    public init(gsi: UInt32, pin: IRQChipPin) {
        self.gsi = gsi
        self.pin = pin
    }

    /// The PC routing: GSI i reaches I/O APIC pin i (0-23) and, for i < 16, the
    /// 8259 pin of ISA IRQ i. The same identity map KVM installs by default, made
    /// explicit so the MP table the guest reads and the routing cannot disagree.
    public static let pcIdentity: [IRQRoute] = (UInt32(0)..<24).flatMap { gsi -> [IRQRoute] in
        var routes = [IRQRoute(gsi: gsi, pin: .ioapic(gsi))]
        if gsi < 8 { routes.append(IRQRoute(gsi: gsi, pin: .picMaster(gsi))) }
        else if gsi < 16 { routes.append(IRQRoute(gsi: gsi, pin: .picSlave(gsi - 8))) }
        return routes
    }
}

extension VMFD {
    /// KVM_CREATE_IRQCHIP: the in-kernel PIC pair, I/O APIC and one local APIC per
    /// vCPU. Must come before any vCPU is created.
    public func createIRQChip() throws(KVMError) {
        _ = try kvmIoctl(descriptor.rawValue, CKVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP")
    }

    /// KVM_CREATE_PIT2: the in-kernel 8254 timer on ports 0x40-0x43, wired to GSI 0.
    /// With `dummySpeaker`, KVM also answers port 0x61 (the speaker/gate port
    /// Linux reads while calibrating the TSC) instead of sending it to user space.
    public func createPIT(dummySpeaker: Bool = true) throws(KVMError) {
        var config = kvm_pit_config()
        config.flags = dummySpeaker ? UInt32(KVM_PIT_SPEAKER_DUMMY) : 0
        _ = try kvmIoctl(descriptor.rawValue, CKVM_CREATE_PIT2, value: &config, "KVM_CREATE_PIT2")
    }

    /// KVM_SET_GSI_ROUTING: replaces the whole routing table.
    public func setGSIRouting(_ routes: [IRQRoute]) throws(KVMError) {
        let raw = routes.map { route -> ckvm_irqchip_route in
            switch route.pin {
            case .picMaster(let pin):
                return ckvm_irqchip_route(gsi: route.gsi, irqchip: UInt32(KVM_IRQCHIP_PIC_MASTER), pin: pin)
            case .picSlave(let pin):
                return ckvm_irqchip_route(gsi: route.gsi, irqchip: UInt32(KVM_IRQCHIP_PIC_SLAVE), pin: pin)
            case .ioapic(let pin):
                return ckvm_irqchip_route(gsi: route.gsi, irqchip: UInt32(KVM_IRQCHIP_IOAPIC), pin: pin)
            }
        }
        let result = raw.withUnsafeBufferPointer { buffer in
            ckvm_set_irqchip_routing(descriptor.rawValue, buffer.baseAddress, UInt32(buffer.count))
        }
        if result < 0 {
            throw .ioctlFailed(operation: "KVM_SET_GSI_ROUTING", errno: .init(rawValue: errno))
        }
    }

    /// KVM_IRQFD: from now on, a write to `event` raises an edge on `gsi`
    /// (asserted and released), with no exit and no vCPU ioctl.
    public func registerIRQFD(_ event: EventFD, gsi: UInt32) throws(KVMError) {
        var request = kvm_irqfd()
        request.fd = UInt32(bitPattern: event.descriptor.rawValue)
        request.gsi = gsi
        _ = try kvmIoctl(descriptor.rawValue, CKVM_IRQFD, value: &request, "KVM_IRQFD")
    }

    /// KVM_IRQFD with KVM_IRQFD_FLAG_DEASSIGN: detaches `event` from `gsi`.
    public func unregisterIRQFD(_ event: EventFD, gsi: UInt32) throws(KVMError) {
        var request = kvm_irqfd()
        request.fd = UInt32(bitPattern: event.descriptor.rawValue)
        request.gsi = gsi
        request.flags = UInt32(KVM_IRQFD_FLAG_DEASSIGN)
        _ = try kvmIoctl(descriptor.rawValue, CKVM_IRQFD, value: &request, "KVM_IRQFD (deassign)")
    }

    /// KVM_IRQ_LINE: sets the level of `gsi` (a VM ioctl, for callers without an irqfd).
    public func setIRQLine(gsi: UInt32, high: Bool) throws(KVMError) {
        var request = kvm_irq_level()
        request.irq = gsi
        request.level = high ? 1 : 0
        _ = try kvmIoctl(descriptor.rawValue, CKVM_IRQ_LINE, value: &request, "KVM_IRQ_LINE")
    }
}

/// A vCPU's multiprocessing state (KVM_GET_MP_STATE).
public enum MPState: Sendable, Equatable {
    case runnable
    /// An application processor waiting for INIT/SIPI.
    case uninitialized
    case initReceived
    /// Stopped in HLT until an interrupt arrives.
    case halted
    case sipiReceived
    case other(UInt32)

    init(raw: UInt32) {
        switch Int32(bitPattern: raw) {
        case KVM_MP_STATE_RUNNABLE: self = .runnable
        case KVM_MP_STATE_UNINITIALIZED: self = .uninitialized
        case KVM_MP_STATE_INIT_RECEIVED: self = .initReceived
        case KVM_MP_STATE_HALTED: self = .halted
        case KVM_MP_STATE_SIPI_RECEIVED: self = .sipiReceived
        default: self = .other(raw)
        }
    }
}

extension VCPUFD {
    /// KVM_GET_MP_STATE (from the vCPU's own thread, or while it is not running).
    public func mpState() throws(KVMError) -> MPState {
        var state = kvm_mp_state()
        _ = try kvmIoctl(descriptor.rawValue, CKVM_GET_MP_STATE, value: &state, "KVM_GET_MP_STATE")
        return MPState(raw: state.mp_state)
    }
}
