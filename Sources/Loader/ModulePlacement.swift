import Memory

/// Where modules go: one after another, each page-aligned, from the first page after
/// the kernel's highest byte (and at least 1 MiB), as QEMU's multiboot loader places
/// them. Every module must end below 4 GiB (the multiboot fields are 32-bit, and a
/// PVH guest starts with paging off) and inside RAM.
enum ModulePlacement {
    static let pageSize: UInt64 = 0x1000

    /// A module where it was placed, with the string the guest's list gives it.
    struct Placed {
        var range: GuestRange
        var string: String
    }

    /// The multiboot/PVH modules of `options` (the initrd first) placed after the
    /// kernel's pieces already in `load`, and added to it as pieces.
    static func add(_ options: LoadOptions, to load: inout LoadPlan, memory: GuestMemory) throws(LoaderError)
        -> [Placed]
    {
        let modules = modules(options)
        let names = names(options)
        let ranges = try place(modules.map { UInt64($0.bytes.count) }, names: names,
                               after: load.pieces.map(\.range), memory: memory)
        load.pieces += pieces(modules, at: ranges, names: names)
        return zip(modules, ranges).map { Placed(range: $0.1, string: $0.0.string) }
    }

    /// The ranges for `modules`, in order; `names` name them in errors.
    static func place(_ sizes: [UInt64], names: [String], after kernel: [GuestRange],
                      memory: GuestMemory) throws(LoaderError) -> [GuestRange] {
        let kernelEnd = kernel.map(\.end).max() ?? 0
        var cursor = alignUp(max(kernelEnd, MemoryMap.extendedStart))
        var ranges: [GuestRange] = []
        for (index, size) in sizes.enumerated() {
            let name = index < names.count ? names[index] : "module \(index)"
            let (end, overflow) = cursor.addingReportingOverflow(size)
            let range = GuestRange(start: GuestAddress(cursor), size: size)
            guard !overflow, end <= PCMemoryLayout.mmioHoleEnd, size == 0 || memory.contains(range) else {
                let ramTop = memory.regions.map(\.range).first { $0.contains(GuestAddress(MemoryMap.extendedStart)) }?.end
                    ?? MemoryMap.extendedStart
                throw .moduleDoesNotFit(what: name, size: size, start: cursor,
                                        ramEnd: min(ramTop, PCMemoryLayout.mmioHoleEnd))
            }
            ranges.append(range)
            cursor = alignUp(end)
        }
        return ranges
    }

    static func alignUp(_ value: UInt64) -> UInt64 {
        (value &+ pageSize - 1) & ~(pageSize - 1)
    }

    /// The modules a multiboot or PVH kernel gets: the initrd first (its string is its
    /// name), then `options.modules`.
    static func modules(_ options: LoadOptions) -> [BootModule] {
        var modules: [BootModule] = []
        if let initrd = options.initrd {
            modules.append(BootModule(bytes: initrd, string: options.initrdName ?? "initrd"))
        }
        return modules + options.modules
    }

    /// Image pieces for the modules at their ranges.
    static func pieces(_ modules: [BootModule], at ranges: [GuestRange], names: [String]) -> [ImagePiece] {
        zip(zip(modules, ranges), names).map { pair, name in
            ImagePiece(what: name, destination: pair.1.start, fileRange: pair.0.bytes.indices,
                       memorySize: pair.1.size, source: .initrd(pair.0.bytes))
        }
    }

    /// Names for errors: "initrd <path>" for the initrd, "module N (<string>)" otherwise.
    static func names(_ options: LoadOptions) -> [String] {
        let first = options.initrd == nil ? 0 : 1
        let initrd = options.initrd == nil ? [] : ["initrd \(options.initrdName ?? "")"]
        return initrd + options.modules.enumerated().map { "module \($0.offset + first) (\($0.element.string))" }
    }
}
