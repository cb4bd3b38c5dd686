import Synchronization

/// The ACPI power management timer (ACPI 6.5, section 4.8.3.3): a free-running
/// counter at 3.579545 MHz, read-only, 24 bits wide (the FADT leaves TMR_VAL_EXT
/// clear), so it wraps every 2^24 ticks, about 4.69 s.
///
/// The count is computed from a monotonic clock at each read, so it costs nothing
/// between reads and needs no lock. A register of 4 bytes at offset 0; narrower or
/// offset reads return the matching bytes; writes are ignored. The timer-carry
/// status (TMR_STS) and its SCI are not modelled: Linux does not use them.
public final class PMTimer: Sendable {
    /// 3.579545 MHz: the NTSC colour-burst frequency, as on every PC.
    public static let frequency: UInt64 = 3_579_545
    public static let counterBits = 24
    public static let counterMask: UInt32 = (1 << 24) - 1

    private let clock: any MonotonicClock
    /// The clock reading at which the count was 0 (atomic so a restore can move it
    /// while reads stay lock-free).
    private let origin: Atomic<UInt64>

    /// The counter starts at 0 now.
    public init(clock: any MonotonicClock = SystemMonotonicClock()) {
        self.clock = clock
        origin = Atomic(clock.nanoseconds())
    }

    /// Ticks since the origin, modulo 2^24.
    public var count: UInt32 {
        let elapsed = clock.nanoseconds() &- origin.load(ordering: .relaxed)
        let product = elapsed.multipliedFullWidth(by: Self.frequency)
        // elapsed * f / 1e9 fits 64 bits for any elapsed below ~160 years.
        let (ticks, _) = UInt64(1_000_000_000).dividingFullWidth(product)
        return UInt32(truncatingIfNeeded: ticks) & Self.counterMask
    }

    /// Goes on from `count` now (a snapshot restore): the guest sees the counter
    /// continue from where it was saved instead of starting again from 0.
    public func restart(at count: UInt32) {
        let ticks = UInt64(count & Self.counterMask)
        // Round up so that reading back at once gives `count`, not one less.
        let nanoseconds = (ticks * 1_000_000_000 + Self.frequency - 1) / Self.frequency
        origin.store(clock.nanoseconds() &- nanoseconds, ordering: .relaxed)
    }

    /// Reads `width` bytes at `offset` (0-3) of the 32-bit register.
    public func read(offset: UInt64, width: Int) -> UInt64 {
        guard offset < 4 else { return 0 }
        return registerBytes(UInt64(count), offset: offset, width: width)
    }
}

/// A `PMTimer` on a bus: register it at the FADT's PM_TMR_BLK with size 4.
public final class PMTimerPort: BusDevice {
    public let timer: PMTimer

    public init(_ timer: PMTimer = PMTimer()) {
        self.timer = timer
    }

    public func read(offset: UInt64, data: UnsafeMutableRawBufferPointer) {
        data.storeLittleEndian(timer.read(offset: offset, width: data.count))
    }

    public func write(offset: UInt64, data: UnsafeRawBufferPointer) -> BusAction { .none }
}
