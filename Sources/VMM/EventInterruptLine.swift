import Devices
import KVM

/// The ISA interrupt lines of the PC machine (GSI numbers; identity-routed to the
/// 8259 and the I/O APIC, see `IRQRoute.pcIdentity`).
public enum PCInterrupts {
    public static let timer: UInt32 = 0
    public static let keyboard: UInt32 = 1
    public static let com2: UInt32 = 3
    public static let com1: UInt32 = 4
    public static let rtc: UInt32 = 8
    public static let mouse: UInt32 = 12
}

/// A device interrupt delivered through an irqfd: `trigger` is one eventfd write,
/// which KVM turns into an edge on the GSI.
struct EventInterruptLine: InterruptLine {
    let event: EventFD
    let gsi: UInt32

    func trigger() {
        event.signal()
    }
}
