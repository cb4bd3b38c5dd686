/// The Differentiated System Description Table: the devices a guest cannot
/// probe, in AML, and the `_S5` sleep type for soft-off.
///
/// ```
/// DefinitionBlock ("", "DSDT", 2, "SWIFTV", "SWIFTVMM", 1) {
///     Scope (\_SB) {
///         Device (C000) { Name (_HID, "ACPI0007")  Name (_UID, 0) }   // one per vCPU
///         Device (COM1) { Name (_HID, EisaId ("PNP0501"))  Name (_UID, 1)
///                         Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3F8, 0x3F8, 1, 8)
///                                                           IRQNoFlags () {4} }) }
///         Device (V000) { Name (_HID, "LNRO0005")  Name (_UID, 0)       // one per virtio-mmio device
///                         Name (_CRS, ResourceTemplate () { Memory32Fixed (ReadWrite, base, 0x1000)
///                                                           Interrupt (, Edge, ActiveHigh, Exclusive) {gsi} }) }
///     }
///     Name (_S5, Package () { 5, 5, 0, 0 })
/// }
/// ```
/// Revision 2 makes AML integers 64 bits wide.
public struct DSDT: Sendable {
    public static let signature = "DSDT"
    public static let revision: UInt8 = 2
    /// Linux's virtio-mmio driver matches this ACPI ID (drivers/virtio/virtio_mmio.c).
    public static let virtioMMIOHardwareID = "LNRO0005"
    public static let serialHardwareID = "PNP0501"
    public static let processorHardwareID = "ACPI0007"

    /// A 16550 UART in I/O space.
    public struct SerialPort: Sendable, Equatable {
        public var port: UInt16
        public var irq: UInt8
        public init(port: UInt16, irq: UInt8) {
            self.port = port
            self.irq = irq
        }
    }

    /// A virtio-mmio transport: its register window and its (edge) interrupt.
    public struct VirtioMMIODevice: Sendable, Equatable {
        public var base: UInt64
        public var size: UInt64
        public var gsi: UInt32
        public init(base: UInt64, size: UInt64, gsi: UInt32) {
            self.base = base
            self.size = size
            self.gsi = gsi
        }
    }

    public var cpuCount: Int
    public var serialPorts: [SerialPort]
    public var virtioDevices: [VirtioMMIODevice]

    public init(cpuCount: Int, serialPorts: [SerialPort], virtioDevices: [VirtioMMIODevice]) {
        self.cpuCount = cpuCount
        self.serialPorts = serialPorts
        self.virtioDevices = virtioDevices
    }

    /// The table. Fails on a virtio window that does not fit Memory32Fixed (above
    /// 4 GiB) or more devices than four-character names allow.
    public func table() throws(FirmwareError) -> ACPITable {
        var devices: [[UInt8]] = []
        for cpu in 0..<cpuCount {
            devices.append(try AML.device(Self.deviceName("C", cpu), [
                try AML.name("_HID", try AML.string(Self.processorHardwareID)),
                try AML.name("_UID", AML.integer(UInt64(cpu))),
            ]))
        }
        for (index, serial) in serialPorts.enumerated() {
            devices.append(try AML.device("COM\(index + 1)", [
                try AML.name("_HID", AML.integer(UInt64(try AML.eisaID(Self.serialHardwareID)))),
                try AML.name("_UID", AML.integer(UInt64(index + 1))),
                try AML.name("_CRS", try AML.buffer(ResourceDescriptor.template([
                    .io(base: serial.port, length: 8), .irq(serial.irq),
                ]))),
            ]))
        }
        for (index, device) in virtioDevices.enumerated() {
            guard device.base < 1 << 32, device.size <= (1 << 32) - device.base else {
                throw .tableAbove4GiB(base: device.base, size: Int(clamping: device.size))
            }
            devices.append(try AML.device(Self.deviceName("V", index), [
                try AML.name("_HID", try AML.string(Self.virtioMMIOHardwareID)),
                try AML.name("_UID", AML.integer(UInt64(index))),
                try AML.name("_CRS", try AML.buffer(ResourceDescriptor.template([
                    .memory32Fixed(base: UInt32(device.base), length: UInt32(device.size)),
                    .interrupt(gsi: device.gsi, levelTriggered: false),
                ]))),
            ]))
        }
        let s5Type = AML.integer(UInt64(ACPIHardware.s5SleepType))
        let body = try AML.scope("\\_SB", devices)
            + (try AML.name("_S5", try AML.package([s5Type, s5Type, AML.integer(0), AML.integer(0)])))
        return ACPITable(signature: Self.signature, revision: Self.revision, body: body)
    }

    /// "C000", "V00F": a letter and three hex digits (up to 4096 objects).
    static func deviceName(_ letter: String, _ index: Int) -> String {
        let hex = String(index, radix: 16, uppercase: true)
        return letter + String(repeating: "0", count: max(0, 3 - hex.count)) + hex
    }
}
