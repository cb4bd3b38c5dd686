import CKVM
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A KVM virtual machine (the file descriptor KVM_CREATE_VM returned).
public final class VMFD: Sendable {
    public let descriptor: FileDescriptor
    /// The system handle, kept alive as long as the VM.
    public let system: KVMSystem

    init(descriptor: FileDescriptor, system: KVMSystem) {
        self.descriptor = descriptor
        self.system = system
    }

    deinit {
        try? descriptor.close()
    }

    /// KVM_SET_USER_MEMORY_REGION: maps `size` bytes of host memory at `host` into
    /// the guest at `guestAddress` as memory slot `slot`.
    public func setUserMemoryRegion(slot: UInt32, guestAddress: UInt64, size: UInt64,
                                    host: UnsafeMutableRawPointer, logDirtyPages: Bool = false) throws(KVMError) {
        var region = kvm_userspace_memory_region()
        region.slot = slot
        region.flags = logDirtyPages ? UInt32(KVM_MEM_LOG_DIRTY_PAGES) : 0
        region.guest_phys_addr = guestAddress
        region.memory_size = size
        region.userspace_addr = UInt64(UInt(bitPattern: host))
        _ = try kvmIoctl(descriptor.rawValue, CKVM_SET_USER_MEMORY_REGION, value: &region,
                         "KVM_SET_USER_MEMORY_REGION")
    }

    /// KVM_SET_TSS_ADDR: three pages of guest physical space KVM uses on Intel hosts
    /// to run real-mode code; must not overlap RAM or devices.
    public func setTSSAddress(_ address: UInt64) throws(KVMError) {
        _ = try kvmIoctl(descriptor.rawValue, CKVM_SET_TSS_ADDR, UInt(address), "KVM_SET_TSS_ADDR")
    }

    /// KVM_SET_IDENTITY_MAP_ADDR: one page for the identity map KVM uses on Intel hosts.
    public func setIdentityMapAddress(_ address: UInt64) throws(KVMError) {
        var value = address
        _ = try kvmIoctl(descriptor.rawValue, CKVM_SET_IDENTITY_MAP_ADDR, value: &value,
                         "KVM_SET_IDENTITY_MAP_ADDR")
    }

    /// KVM_CREATE_VCPU and the mapping of its `kvm_run` area.
    public func createVCPU(id: Int) throws(KVMError) -> VCPUFD {
        let size = try system.vcpuMapSize()
        let fd = try kvmIoctl(descriptor.rawValue, CKVM_CREATE_VCPU, UInt(id), "KVM_CREATE_VCPU")
        let descriptor = FileDescriptor(rawValue: fd)
        guard let area = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), area != MAP_FAILED else {
            let code = errno
            try? descriptor.close()
            throw .mmapFailed(operation: "mmap of vCPU \(id)'s kvm_run", errno: Errno(rawValue: code))
        }
        return VCPUFD(id: id, descriptor: descriptor, runArea: area, runAreaSize: size, vm: self)
    }

    /// KVM_ENABLE_CAP on the VM.
    public func enable(_ capability: Capability, arguments: [UInt64] = []) throws(KVMError) {
        var request = kvm_enable_cap()
        request.cap = UInt32(capability.rawValue)
        withUnsafeMutableBytes(of: &request.args) { raw in
            for (i, value) in arguments.prefix(4).enumerated() {
                raw.storeBytes(of: value, toByteOffset: i * 8, as: UInt64.self)
            }
        }
        _ = try kvmIoctl(descriptor.rawValue, CKVM_ENABLE_CAP, value: &request, "KVM_ENABLE_CAP")
    }
}

/// One range of MSRs for `VMFD.setMSRFilter`: the accesses named by `reads` and
/// `writes` to MSRs `base ..< base + count` are allowed (handled by KVM) where
/// `allowed` is true, and exit to user space where it is false.
public struct MSRFilterRange: Sendable, Equatable {
    public var base: UInt32
    public var count: UInt32
    public var reads: Bool
    public var writes: Bool
    public var allowed: Bool

    public init(base: UInt32, count: UInt32, reads: Bool, writes: Bool, allowed: Bool) {
        self.base = base
        self.count = count
        self.reads = reads
        self.writes = writes
        self.allowed = allowed
    }
}

extension VMFD {
    /// Most ranges one filter takes (KVM_MSR_FILTER_MAX_RANGES).
    public static let maximumMSRFilterRanges = Int(KVM_MSR_FILTER_MAX_RANGES)
    /// Most MSRs one range covers (KVM_MSR_FILTER_MAX_BITMAP_SIZE bytes of bits).
    public static let maximumMSRFilterRangeSize = UInt32(KVM_MSR_FILTER_MAX_BITMAP_SIZE) * 8

    /// Has KVM pass RDMSR/WRMSR that the MSR filter denies to user space
    /// (KVM_CAP_X86_USER_SPACE_MSR with KVM_MSR_EXIT_REASON_FILTER) instead of
    /// injecting #GP itself.
    public func enableUserSpaceMSRExits() throws(KVMError) {
        try enable(.userSpaceMSR, arguments: [UInt64(KVM_MSR_EXIT_REASON_FILTER)])
    }

    /// Installs an MSR filter (KVM_X86_SET_MSR_FILTER): the first range covering
    /// an MSR for the access decides; MSRs no range covers are allowed.
    public func setMSRFilter(_ ranges: [MSRFilterRange]) throws(KVMError) {
        let bitmaps = ranges.map { range -> [UInt8] in
            Array(repeating: range.allowed ? 0xFF : 0x00, count: Int((range.count + 7) / 8))
        }
        var result: Int32 = 0
        var savedErrno: Int32 = 0
        withBitmapPointers(bitmaps) { pointers in
            var raw = zip(ranges, pointers).map { range, bitmap in
                ckvm_msr_range(flags: (range.reads ? UInt32(KVM_MSR_FILTER_READ) : 0)
                                   | (range.writes ? UInt32(KVM_MSR_FILTER_WRITE) : 0),
                               count: range.count, base: range.base, bitmap: bitmap)
            }
            result = ckvm_set_msr_filter(descriptor.rawValue, UInt32(KVM_MSR_FILTER_DEFAULT_ALLOW), &raw, UInt32(raw.count))
            savedErrno = errno
        }
        guard result == 0 else {
            throw .ioctlFailed(operation: "KVM_X86_SET_MSR_FILTER", errno: Errno(rawValue: savedErrno))
        }
    }

    /// Runs `body` with stable pointers to each bitmap's bytes.
    private func withBitmapPointers(_ bitmaps: [[UInt8]], _ body: ([UnsafeMutablePointer<UInt8>?]) -> Void) {
        let copies = bitmaps.map { bytes -> UnsafeMutablePointer<UInt8> in
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            pointer.initialize(repeating: 0, count: max(bytes.count, 1))
            for (i, byte) in bytes.enumerated() { pointer[i] = byte }
            return pointer
        }
        defer { copies.forEach { $0.deallocate() } }
        body(copies.map { Optional($0) })
    }
}
