/// The fixed ACPI hardware of a swift-vmm machine, as the FADT describes it and the
/// VMM places the devices: a PM1a event block, a PM1a control block, a PM timer and
/// a reset register, all in I/O space from port 0x600, and the SCI on IRQ 9.
public enum ACPIHardware {
    /// PM1a_EVT_BLK: PM1 status (2 bytes) then PM1 enable (2 bytes).
    public static let pm1aEventPort: UInt16 = 0x600
    public static let pm1EventLength: UInt8 = 4
    /// PM1a_CNT_BLK: the PM1 control register (SCI_EN, SLP_TYP, SLP_EN).
    public static let pm1aControlPort: UInt16 = 0x604
    public static let pm1ControlLength: UInt8 = 2
    /// PM_TMR_BLK: the 24-bit power management timer at 3.579545 MHz.
    public static let pmTimerPort: UInt16 = 0x608
    public static let pmTimerLength: UInt8 = 4
    /// RESET_REG: a one-byte register; writing `resetValue` resets the machine.
    public static let resetPort: UInt16 = 0x60C
    public static let resetValue: UInt8 = 0x01
    /// The SCI: ISA IRQ 9, level-triggered, active high (the MADT says so).
    public static let sciIRQ: UInt8 = 9
    /// SLP_TYP for S5 (soft off): the value of the `_S5` package in the DSDT.
    public static let s5SleepType: UInt8 = 5
}
