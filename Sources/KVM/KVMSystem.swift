import CKVM
import CPUModel
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The KVM subsystem: a handle on `/dev/kvm`.
///
/// Opening checks the API version and the capabilities swift-vmm needs, so a
/// machine without usable KVM fails here with a message naming what is missing.
public final class KVMSystem: Sendable {
    public static let defaultPath = "/dev/kvm"
    public static let stableAPIVersion: Int32 = 12

    public let descriptor: FileDescriptor

    /// Opens the KVM device at `path` and verifies it.
    public init(path: String = KVMSystem.defaultPath, requiring capabilities: [Capability] = Capability.required)
        throws(KVMError)
    {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readWrite, options: [.closeOnExec])
        } catch let error as Errno {
            switch error {
            case .noSuchFileOrDirectory: throw .deviceMissing(path: path)
            case .permissionDenied, .notPermitted: throw .permissionDenied(path: path)
            default: throw .openFailed(path: path, errno: error)
            }
        } catch {
            throw .openFailed(path: path, errno: .ioError)
        }
        descriptor = fd
        let version = try kvmIoctl(fd.rawValue, CKVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION")
        guard version == Self.stableAPIVersion else {
            throw .apiVersionMismatch(found: version, expected: Self.stableAPIVersion)
        }
        for capability in capabilities where check(capability) <= 0 {
            throw .missingCapability(capability)
        }
    }

    deinit {
        try? descriptor.close()
    }

    /// KVM_CHECK_EXTENSION: 0 when absent, otherwise a capability-specific positive value.
    public func check(_ capability: Capability) -> Int32 {
        let result = ckvm_ioctl(descriptor.rawValue, CKVM_CHECK_EXTENSION, UInt(capability.rawValue))
        return max(result, 0)
    }

    /// The size of each vCPU's shared `kvm_run` area.
    public func vcpuMapSize() throws(KVMError) -> Int {
        Int(try kvmIoctl(descriptor.rawValue, CKVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE"))
    }

    /// The largest vCPU count KVM accepts for one VM.
    public var maximumVCPUs: Int {
        let maximum = check(.maxVCPUs)
        return Int(maximum > 0 ? maximum : max(check(.recommendedVCPUs), 4))
    }

    /// KVM_GET_SUPPORTED_CPUID: every CPUID leaf KVM can present to a guest.
    public func supportedCPUID() throws(KVMError) -> CPUIDTable {
        var capacity = 128
        while true {
            let buffer = CPUIDBuffer(capacity: capacity)
            defer { buffer.deallocate() }
            let result = ckvm_ioctl_ptr(descriptor.rawValue, CKVM_GET_SUPPORTED_CPUID, buffer.raw)
            if result >= 0 { return buffer.table() }
            let code = errno
            if code == E2BIG && capacity < 4096 {
                capacity *= 2
                continue
            }
            throw .ioctlFailed(operation: "KVM_GET_SUPPORTED_CPUID", errno: Errno(rawValue: code))
        }
    }

    /// Creates a VM (KVM_CREATE_VM, default type).
    public func createVM() throws(KVMError) -> VMFD {
        let fd = try kvmIoctl(descriptor.rawValue, CKVM_CREATE_VM, 0, "KVM_CREATE_VM")
        return VMFD(descriptor: FileDescriptor(rawValue: fd), system: self)
    }
}
