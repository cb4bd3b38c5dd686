import CKVM
import CPUModel

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
