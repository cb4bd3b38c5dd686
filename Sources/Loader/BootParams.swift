/// Offsets in a bzImage file and in the zero page (`struct boot_params`, 4096 bytes),
/// from arch/x86/include/uapi/asm/bootparam.h and Documentation/arch/x86/boot.rst.
/// The setup header sits at 0x1F1 in both, so its fields share offsets.
extension LinuxSetupHeader {
    enum Offset {
        // The setup header.
        static let setupSectors = 0x1F1
        static let systemSize = 0x1F4
        static let videoMode = 0x1FA
        static let bootFlag = 0x1FE
        static let jump = 0x200
        static let magic = 0x202
        static let version = 0x206
        static let kernelVersion = 0x20E
        static let typeOfLoader = 0x210
        static let loadFlags = 0x211
        static let code32Start = 0x214
        static let ramdiskImage = 0x218
        static let ramdiskSize = 0x21C
        static let commandLinePointer = 0x228
        static let initrdAddressMax = 0x22C
        static let kernelAlignment = 0x230
        static let relocatable = 0x234
        static let extendedLoadFlags = 0x236
        static let commandLineSize = 0x238
        static let setupData = 0x250
        static let preferredAddress = 0x258
        static let initSize = 0x260

        // The rest of the zero page.
        static let acpiRSDPAddress = 0x070
        static let extendedRamdiskImage = 0x0C0
        static let extendedRamdiskSize = 0x0C4
        static let extendedCommandLinePointer = 0x0C8
        static let e820Entries = 0x1E8
        static let e820Table = 0x2D0
    }
}
