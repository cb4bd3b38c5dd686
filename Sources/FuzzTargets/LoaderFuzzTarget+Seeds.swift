extension LoaderFuzzTarget {
    /// Seeds: each given guest image (the test guests: multiboot ELF, plain ELF32
    /// and ELF64, flat binaries) with default options, the flat binaries as flat
    /// loads, and a small crafted 64-bit bzImage with and without an initrd.
    static func seeds(guestImages: [(name: String, bytes: [UInt8])]) -> [(name: String, bytes: [UInt8])] {
        var result: [(name: String, bytes: [UInt8])] = []
        for image in guestImages {
            if image.name.hasSuffix(".bin") {
                // Real-mode code at 0x7C00 (as a boot sector), the others at 1 MiB.
                let mode: UInt8 = image.name.contains("64") ? 3 : image.name.contains("32") ? 2 : 1
                let address: [UInt8] = mode == 1 ? [0x00, 0x7C, 0x00, 0x00] : [0x00, 0x00, 0x10, 0x00]
                result.append(("flat-\(image.name)", [mode] + address + image.bytes))
            } else {
                result.append((image.name, [16] + image.bytes))
            }
        }
        result.append(("bzimage", [0] + bzImage()))
        result.append(("bzimage-initrd", [4] + bzImage()))
        return result
    }

    /// A minimal bzImage for the 64-bit boot protocol 2.15: four setup sectors,
    /// a setup header, and a 1 KiB protected-mode kernel.
    static func bzImage() -> [UInt8] {
        var image = [UInt8](repeating: 0, count: 5 * 512 + 1024)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            for index in 0..<(T.bitWidth / 8) { image[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
        }
        put(UInt8(4), at: 0x1F1)  // setup_sects
        put(UInt32(1024 / 16), at: 0x1F4)  // syssize
        put(UInt16(0xAA55), at: 0x1FE)
        put(UInt8(0xEB), at: 0x200)
        put(UInt8(0x6A), at: 0x201)
        for (index, byte) in "HdrS".utf8.enumerated() { image[0x202 + index] = byte }
        put(UInt16(0x020F), at: 0x206)  // version
        put(UInt8(1), at: 0x211)  // loadflags: LOADED_HIGH
        put(UInt32(0x10_0000), at: 0x214)  // code32_start
        put(UInt32(0x7FFF_FFFF), at: 0x22C)  // initrd_addr_max
        put(UInt32(0x20_0000), at: 0x230)  // kernel_alignment
        put(UInt8(1), at: 0x234)  // relocatable_kernel
        put(UInt16(3), at: 0x236)  // xloadflags: KERNEL_64, CAN_BE_LOADED_ABOVE_4G
        put(UInt32(2047), at: 0x238)  // cmdline_size
        put(UInt64(0x100_0000), at: 0x258)  // pref_address
        put(UInt32(0x10_0000), at: 0x260)  // init_size
        return image
    }
}
