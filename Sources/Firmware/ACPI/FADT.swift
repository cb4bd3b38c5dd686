/// The Fixed ACPI Description Table ("FACP"), revision 6 (ACPI 6.0 layout, 276
/// bytes), for a machine that is not hardware-reduced: PM1a event and control
/// blocks, a 24-bit PM timer, the SCI, and a reset register, all in I/O space
/// (`ACPIHardware`), each given both as the legacy 32-bit field and as a Generic
/// Address Structure. No SMI command port: the machine is always in ACPI mode.
public struct FADT: Sendable {
    public static let signature = "FACP"
    public static let revision: UInt8 = 6
    public static let minorRevision: UInt8 = 0
    public static let size = 276

    /// Flags (ACPI 6.5, table 5.10).
    public enum Flag {
        public static let wbinvd: UInt32 = 1 << 0
        public static let processorC1: UInt32 = 1 << 2
        /// The sleep button is a control method, or absent: here absent.
        public static let sleepButtonNotFixed: UInt32 = 1 << 5
        /// The RTC alarm is not a fixed wake event.
        public static let fixedRTCNotSupported: UInt32 = 1 << 6
        /// The PM timer is 32 bits wide (left clear: 24 bits).
        public static let timerValueExtended: UInt32 = 1 << 8
        public static let resetRegisterSupported: UInt32 = 1 << 10
        public static let hardwareReduced: UInt32 = 1 << 20
    }

    /// IA-PC boot architecture flags: legacy devices (the UART), an 8042, no VGA.
    public static let bootArchitecture: UInt16 = 0x0007
    /// The flags swift-vmm sets; the power button is the fixed-feature one in PM1.
    public static let flags = Flag.wbinvd | Flag.processorC1 | Flag.sleepButtonNotFixed | Flag.fixedRTCNotSupported
        | Flag.resetRegisterSupported

    /// Where the DSDT and the FACS are.
    public var dsdtAddress: UInt64
    public var facsAddress: UInt64

    public init(dsdtAddress: UInt64, facsAddress: UInt64) {
        self.dsdtAddress = dsdtAddress
        self.facsAddress = facsAddress
    }

    /// Generic Address Structure: address space 1 (system I/O).
    static func ioAddress(_ port: UInt16, length: UInt8, accessSize: UInt8) -> [UInt8] {
        var bytes: [UInt8] = [1, length * 8, 0, accessSize]
        bytes.appendLE(UInt64(port))
        return bytes
    }

    public var table: ACPITable {
        typealias H = ACPIHardware
        var t = [UInt8](repeating: 0, count: Self.size)
        t.storeLE(UInt32(truncatingIfNeeded: facsAddress < 1 << 32 ? facsAddress : 0), at: 36)  // FIRMWARE_CTRL
        t.storeLE(UInt32(truncatingIfNeeded: dsdtAddress < 1 << 32 ? dsdtAddress : 0), at: 40)  // DSDT
        t[45] = 0  // Preferred PM profile: unspecified.
        t.storeLE(UInt16(H.sciIRQ), at: 46)  // SCI_INT
        // SMI_CMD (48), ACPI_ENABLE/DISABLE, S4BIOS_REQ, PSTATE_CNT: 0, no SMM.
        t.storeLE(UInt32(H.pm1aEventPort), at: 56)
        t.storeLE(UInt32(H.pm1aControlPort), at: 64)
        t.storeLE(UInt32(H.pmTimerPort), at: 76)
        t[88] = H.pm1EventLength
        t[89] = H.pm1ControlLength
        t[91] = H.pmTimerLength
        // No GPE blocks (80, 84, 92-94 stay 0); no _CST (95).
        t.storeLE(UInt16(101), at: 96)   // P_LVL2_LAT > 100: C2 not supported.
        t.storeLE(UInt16(1001), at: 98)  // P_LVL3_LAT > 1000: C3 not supported.
        t.storeLE(Self.bootArchitecture, at: 109)
        t.storeLE(Self.flags, at: 112)
        t.replaceSubrange(116..<128, with: Self.ioAddress(H.resetPort, length: 1, accessSize: 1))
        t[128] = H.resetValue
        t[131] = Self.minorRevision
        t.storeLE(facsAddress >= 1 << 32 ? facsAddress : 0, at: 132)  // X_FIRMWARE_CTRL
        t.storeLE(dsdtAddress, at: 140)  // X_DSDT
        t.replaceSubrange(148..<160, with: Self.ioAddress(H.pm1aEventPort, length: H.pm1EventLength, accessSize: 2))
        t.replaceSubrange(172..<184, with: Self.ioAddress(H.pm1aControlPort, length: H.pm1ControlLength, accessSize: 2))
        t.replaceSubrange(208..<220, with: Self.ioAddress(H.pmTimerPort, length: H.pmTimerLength, accessSize: 3))
        t.replaceSubrange(268..<276, with: Array("SWIFTVMM".utf8))  // Hypervisor vendor identity.
        return ACPITable(signature: Self.signature, revision: Self.revision, body: Array(t[ACPITable.headerSize...]))
    }
}

/// The Firmware ACPI Control Structure ("FACS"): 64 bytes, 64-byte aligned, no
/// checksum. Only its presence matters here (the global lock and waking vector stay
/// 0: no S3, no SMM sharing the lock); ACPICA expects one when the FADT is not
/// hardware-reduced.
public enum FACS {
    public static let size = 64
    public static let alignment: UInt64 = 64
    public static let version: UInt8 = 2

    public static var bytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.replaceSubrange(0..<4, with: Array("FACS".utf8))
        bytes.storeLE(UInt32(size), at: 4)
        bytes[32] = version
        return bytes
    }
}
