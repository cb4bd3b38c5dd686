import CKVM
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// `struct kvm_msrs` with `count` entries (a flexible array member Swift cannot
/// import): an 8-byte header, then 16 bytes per entry (index, reserved, data).
private struct MSRBuffer {
    static let header = MemoryLayout<kvm_msrs>.size
    static let entry = MemoryLayout<kvm_msr_entry>.stride
    var bytes: [UInt8]

    init(_ entries: [MSRValue]) {
        bytes = [UInt8](repeating: 0, count: Self.header + entries.count * Self.entry)
        store(UInt32(entries.count), at: 0)
        for (i, msr) in entries.enumerated() {
            store(msr.index, at: Self.header + i * Self.entry)
            store(msr.value, at: Self.header + i * Self.entry + 8)
        }
    }

    mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }

    func value(_ index: Int) -> UInt64 {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: Self.header + index * Self.entry + 8, as: UInt64.self) }
    }
}

extension KVMSystem {
    /// KVM_GET_MSR_INDEX_LIST: the MSRs KVM saves and restores for a guest.
    public func msrIndexList() throws(KVMError) -> [UInt32] {
        var capacity = 256
        while true {
            var bytes = [UInt8](repeating: 0, count: 4 + 4 * capacity)
            bytes.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(capacity), as: UInt32.self) }
            let result = bytes.withUnsafeMutableBytes { raw in
                ckvm_ioctl_ptr(descriptor.rawValue, CKVM_GET_MSR_INDEX_LIST, raw.baseAddress)
            }
            let count = bytes.withUnsafeBytes { Int($0.load(as: UInt32.self)) }
            if result >= 0 {
                return bytes.withUnsafeBytes { raw in
                    (0..<min(count, capacity)).map { raw.load(fromByteOffset: 4 + 4 * $0, as: UInt32.self) }
                }
            }
            let code = errno
            guard code == E2BIG, capacity < 65536 else {
                throw .ioctlFailed(operation: "KVM_GET_MSR_INDEX_LIST", errno: Errno(rawValue: code))
            }
            capacity = max(capacity * 2, count)
        }
    }
}

extension VCPUFD {
    /// KVM_GET_MSRS for `indices`, keeping those KVM can read: the ioctl stops at
    /// the first MSR it cannot read, which is skipped and the rest read again.
    public func readMSRs(_ indices: [UInt32]) throws(KVMError) -> [MSRValue] {
        var result: [MSRValue] = []
        var remaining = indices[...]
        while !remaining.isEmpty {
            var buffer = MSRBuffer(remaining.map { MSRValue(index: $0, value: 0) })
            let read = Int(try kvmIoctl(descriptor.rawValue, CKVM_GET_MSRS, bytes: &buffer.bytes, "KVM_GET_MSRS"))
            let batch = Array(remaining)
            for i in 0..<min(read, batch.count) { result.append(MSRValue(index: batch[i], value: buffer.value(i))) }
            remaining = remaining.dropFirst(read + 1)  // the one after those read failed
        }
        return result
    }

    /// KVM_SET_MSRS; fails naming the first MSR KVM refused.
    public func writeMSRs(_ msrs: [MSRValue]) throws(KVMError) {
        guard !msrs.isEmpty else { return }
        var buffer = MSRBuffer(msrs)
        let written = Int(try kvmIoctl(descriptor.rawValue, CKVM_SET_MSRS, bytes: &buffer.bytes, "KVM_SET_MSRS"))
        guard written == msrs.count else {
            throw .unexpected(operation: "KVM_SET_MSRS", detail: "KVM refused MSR 0x"
                + String(msrs[written].index, radix: 16) + " (value 0x" + String(msrs[written].value, radix: 16)
                + "); \(written) of \(msrs.count) were written")
        }
    }
}
