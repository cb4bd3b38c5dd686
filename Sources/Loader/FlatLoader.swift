import Memory

/// Loads a raw binary: the whole file at one address, entered in the requested mode.
enum FlatLoader {
    /// Real-mode code can only reach the first MiB.
    static let realModeLimit: UInt64 = 0x10_0000

    static func plan(_ image: [UInt8], options: FlatImageOptions) throws(LoaderError) -> (LoadPlan, BootPlan) {
        let address = options.address.rawValue
        let range = try guestRange("flat image", start: address, size: UInt64(image.count))
        try checkModeReach(range, mode: options.mode)
        let piece = ImagePiece(what: "flat image", destination: options.address, fileRange: image.indices,
                               memorySize: range.size)
        let load = LoadPlan(pieces: [piece], structures: PlannedStructure.required(for: options.mode))
        switch options.mode {
        case .real:
            return (load, BootPlan(format: .flat, realModeAt: address, selector: realModeSelector(for: address),
                                   load: load))
        case .protected, .long:
            return (load, BootPlan(format: .flat, pagedMode: options.mode, entry: address, load: load))
        }
    }

    /// The smallest CS for which IP = address - CS * 16 fits in 16 bits, so an image
    /// below 64 KiB (a boot sector at 0x7C00) runs with CS = 0 and IP = its address, and
    /// SP = IP leaves the stack the most room below the image.
    static func realModeSelector(for address: UInt64) -> UInt16 {
        guard address > 0xFFFF else { return 0 }
        return UInt16(truncatingIfNeeded: (address - 0xFFFF + 15) >> 4)
    }

    /// Real mode reaches the first MiB; protected mode and our identity map reach 4 GiB.
    private static func checkModeReach(_ range: GuestRange, mode: CPUMode) throws(LoaderError) {
        let limit = mode == .real ? realModeLimit : PCMemoryLayout.mmioHoleEnd
        guard range.end <= limit else {
            let reach = mode == .real ? "1 MiB" : "4 GiB"
            throw .unsupportedMode(mode, reason: "the flat image at \(range) ends above \(reach), "
                                   + "which \(mode.rawValue) mode cannot reach")
        }
    }
}
