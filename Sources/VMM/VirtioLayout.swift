/// Where virtio-mmio devices live in the guest's physical address space and which
/// interrupt each one raises, and how Linux is told (as Firecracker does it).
public enum VirtioLayout {
    /// The first device's window, inside the 3-4 GiB MMIO hole; one 4 KiB page each.
    public static let base: UInt64 = 0xD000_0000
    public static let windowSize: UInt64 = 0x1000
    /// GSIs no legacy device uses (timer 0, keyboard 1, cascade 2, COM2 3, COM1 4,
    /// RTC 8, the ACPI SCI 9, mouse 12 and the FPU's 13 are taken). The SCI is
    /// level-triggered and a virtio device edge-triggered: they cannot share a pin.
    public static let interrupts: [UInt32] = [5, 6, 7, 10, 11, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]

    /// The most virtio devices one machine can have.
    public static var capacity: Int { interrupts.count }

    /// The window and GSI of device number `index` (0-based), or nil past `capacity`.
    public static func slot(_ index: Int) -> (base: UInt64, gsi: UInt32)? {
        guard index >= 0, index < interrupts.count else { return nil }
        return (base + UInt64(index) * windowSize, interrupts[index])
    }

    /// The kernel parameter that announces one device to Linux's virtio-mmio driver
    /// (and to swift-vmm's test guests): `virtio_mmio.device=4K@0xd0000000:5`.
    public static func kernelParameter(base: UInt64, gsi: UInt32) -> String {
        "virtio_mmio.device=\(windowSize >> 10)K@0x\(String(base, radix: 16)):\(gsi)"
    }
}
