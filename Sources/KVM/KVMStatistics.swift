import CKVM
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Reader for a KVM binary statistics file descriptor (KVM_GET_STATS_FD).
///
/// Reads the descriptors once, then `read()` returns every cumulative counter's
/// current value by name. Histogram statistics are skipped.
public final class KVMStatistics: @unchecked Sendable {
    public struct Counter: Sendable {
        public let name: String
        let offset: Int
    }

    private let descriptor: FileDescriptor
    private let dataOffset: Int
    public let counters: [Counter]

    init(descriptor: FileDescriptor) throws(KVMError) {
        self.descriptor = descriptor
        var header = kvm_stats_header()
        guard pread(descriptor.rawValue, &header, MemoryLayout<kvm_stats_header>.size, 0)
            == MemoryLayout<kvm_stats_header>.size
        else {
            try? descriptor.close()
            throw .unexpected(operation: "reading KVM stats header", detail: "short read")
        }
        let descriptorSize = MemoryLayout<kvm_stats_desc>.size + Int(header.name_size)
        let total = descriptorSize * Int(header.num_desc)
        var bytes = [UInt8](repeating: 0, count: total)
        let got = bytes.withUnsafeMutableBytes { raw in
            pread(descriptor.rawValue, raw.baseAddress, total, off_t(header.desc_offset))
        }
        guard got == total else {
            try? descriptor.close()
            throw .unexpected(operation: "reading KVM stats descriptors", detail: "short read")
        }
        var counters: [Counter] = []
        let nameStart = MemoryLayout<kvm_stats_desc>.size
        for i in 0..<Int(header.num_desc) {
            let base = i * descriptorSize
            let flags = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: base, as: UInt32.self) }
            let size = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: base + 6, as: UInt16.self) }
            let offset = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: base + 8, as: UInt32.self) }
            // Only single-value cumulative or instant counters.
            let type = flags & UInt32(KVM_STATS_TYPE_MASK)
            guard size == 1, type == UInt32(KVM_STATS_TYPE_CUMULATIVE) || type == UInt32(KVM_STATS_TYPE_INSTANT)
            else { continue }
            let nameBytes = bytes[(base + nameStart)..<(base + descriptorSize)].prefix { $0 != 0 }
            counters.append(Counter(name: String(decoding: nameBytes, as: UTF8.self), offset: Int(offset)))
        }
        self.counters = counters
        self.dataOffset = Int(header.data_offset)
    }

    deinit {
        try? descriptor.close()
    }

    /// The counter called `name`, if this kernel has it.
    public func counter(named name: String) -> Counter? {
        counters.first { $0.name == name }
    }

    /// The current value of one counter (one pread), or nil if it cannot be read.
    public func value(_ counter: Counter) -> UInt64? {
        var value: UInt64 = 0
        return pread(descriptor.rawValue, &value, 8, off_t(dataOffset + counter.offset)) == 8 ? value : nil
    }

    /// Current values of all counters, by name.
    public func read() -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for counter in counters {
            var value: UInt64 = 0
            if pread(descriptor.rawValue, &value, 8, off_t(dataOffset + counter.offset)) == 8 {
                values[counter.name] = value
            }
        }
        return values
    }
}
