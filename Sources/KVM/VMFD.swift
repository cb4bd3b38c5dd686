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
