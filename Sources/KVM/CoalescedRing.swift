import CKVM
import Synchronization

/// The ring in which KVM queues guest writes to coalesced MMIO/PIO zones.
///
/// Any thread may `drain` it. A vCPU must not act on its exit before every write
/// it queued earlier reached its device, so when another thread is draining,
/// `drain` spins until that drain ends (a ring's worth of device writes at most)
/// and then drains what is left. Draining allocates nothing: entries are copied
/// into a fixed buffer.
public final class CoalescedRing: @unchecked Sendable {
    /// One queued write.
    public struct Write {
        public let address: UInt64
        public let isPort: Bool
        /// 1 to 8 bytes, valid only inside the `drain` callback.
        public let data: UnsafeRawBufferPointer
    }

    static let batch = 64
    private let page: UnsafeMutableRawPointer
    private let pageSize: Int
    private let owner: AnyObject  // keeps the vCPU mapping alive
    private let draining = Atomic<Bool>(false)
    private let buffer: UnsafeMutablePointer<kvm_coalesced_mmio>

    init(page: UnsafeMutableRawPointer, pageSize: Int, owner: AnyObject) {
        self.page = page
        self.pageSize = pageSize
        self.owner = owner
        buffer = .allocate(capacity: Self.batch)
    }

    deinit {
        buffer.deallocate()
    }

    /// Hands every queued write, oldest first, to `body`; returns how many there were.
    @discardableResult
    public func drain(_ body: (Write) -> Void) -> Int {
        while !draining.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            ckvm_cpu_relax()
        }
        defer { draining.store(false, ordering: .releasing) }
        var total = 0
        while true {
            let count = Int(ckvm_coalesced_drain(page, pageSize, buffer, UInt32(Self.batch)))
            for index in 0..<count {
                let entry = buffer + index
                let length = min(Int(entry.pointee.len), 8)
                let address = entry.pointee.phys_addr
                let isPort = entry.pointee.pio != 0
                withUnsafeBytes(of: &entry.pointee.data) { raw in
                    body(Write(address: address, isPort: isPort, data: UnsafeRawBufferPointer(rebasing: raw[0..<length])))
                }
            }
            total += count
            if count < Self.batch { return total }
        }
    }
}
