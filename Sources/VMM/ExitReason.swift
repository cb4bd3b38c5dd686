/// The exit reasons swift-vmm counts and times, one slot each in the statistics.
public enum ExitReason: Int, CaseIterable, Sendable, Codable {
    case ioIn, ioOut, mmioRead, mmioWrite, halt, shutdown, systemEvent, internalError,
         failEntry, interrupted, exception, hypercall, debug, interruptWindow, unknown, other, msrRead, msrWrite

    public static let count = ExitReason.allCases.count

    /// The name used in tables and JSON (KVM's names where there is one).
    public var name: String {
        switch self {
        case .ioIn: return "io-in"
        case .ioOut: return "io-out"
        case .mmioRead: return "mmio-read"
        case .mmioWrite: return "mmio-write"
        case .halt: return "hlt"
        case .shutdown: return "shutdown"
        case .systemEvent: return "system-event"
        case .internalError: return "internal-error"
        case .failEntry: return "fail-entry"
        case .interrupted: return "interrupted"
        case .exception: return "exception"
        case .hypercall: return "hypercall"
        case .debug: return "debug"
        case .interruptWindow: return "irq-window"
        case .unknown: return "unknown"
        case .other: return "other"
        case .msrRead: return "msr-read"
        case .msrWrite: return "msr-write"
        }
    }
}
