import CKVM

/// One CPUID leaf (function, index) and the four registers it returns.
public struct CPUIDEntry: Hashable, Sendable {
    public var function: UInt32
    public var index: UInt32
    /// KVM_CPUID_FLAG_* bits (e.g. whether `index` is significant).
    public var flags: UInt32
    public var eax: UInt32
    public var ebx: UInt32
    public var ecx: UInt32
    public var edx: UInt32

    public init(function: UInt32, index: UInt32 = 0, flags: UInt32 = 0,
                eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0) {
        self.function = function
        self.index = index
        self.flags = flags
        self.eax = eax
        self.ebx = ebx
        self.ecx = ecx
        self.edx = edx
    }
}

/// A set of CPUID leaves, as KVM reports them supported or as set on a vCPU.
public struct CPUIDTable: Sendable, Equatable {
    public var entries: [CPUIDEntry]

    public init(entries: [CPUIDEntry]) { self.entries = entries }

    /// The entry for (function, index), if present.
    public func entry(function: UInt32, index: UInt32 = 0) -> CPUIDEntry? {
        entries.first { $0.function == function && $0.index == index }
    }

    /// Applies `change` to every entry of `function` (all indices).
    public mutating func modify(function: UInt32, _ change: (inout CPUIDEntry) -> Void) {
        for i in entries.indices where entries[i].function == function { change(&entries[i]) }
    }
}

/// Raw memory for `struct kvm_cpuid2` followed by `capacity` entries (a flexible
/// array member Swift cannot import).
struct CPUIDBuffer {
    let raw: UnsafeMutableRawPointer
    let capacity: Int

    init(capacity: Int) {
        let size = MemoryLayout<kvm_cpuid2>.size + capacity * MemoryLayout<kvm_cpuid_entry2>.stride
        raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        raw.assumingMemoryBound(to: kvm_cpuid2.self).pointee.nent = UInt32(capacity)
        self.capacity = capacity
    }

    init(table: CPUIDTable) {
        self.init(capacity: table.entries.count)
        let first = entriesPointer
        for (i, entry) in table.entries.enumerated() {
            var raw = kvm_cpuid_entry2()
            raw.function = entry.function
            raw.index = entry.index
            raw.flags = entry.flags
            raw.eax = entry.eax
            raw.ebx = entry.ebx
            raw.ecx = entry.ecx
            raw.edx = entry.edx
            first[i] = raw
        }
    }

    private var entriesPointer: UnsafeMutablePointer<kvm_cpuid_entry2> {
        (raw + MemoryLayout<kvm_cpuid2>.size).assumingMemoryBound(to: kvm_cpuid_entry2.self)
    }

    func table() -> CPUIDTable {
        let count = min(Int(raw.assumingMemoryBound(to: kvm_cpuid2.self).pointee.nent), capacity)
        let first = entriesPointer
        return CPUIDTable(entries: (0..<count).map { i in
            let e = first[i]
            return CPUIDEntry(function: e.function, index: e.index, flags: e.flags,
                              eax: e.eax, ebx: e.ebx, ecx: e.ecx, edx: e.edx)
        })
    }

    func deallocate() { raw.deallocate() }
}
