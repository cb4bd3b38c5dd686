import SystemPackage

/// Failures of the KVM layer. Each names the operation and the errno or value.
public enum KVMError: Error, Equatable, CustomStringConvertible {
    /// The KVM device node does not exist (no kvm module, or not in this container).
    case deviceMissing(path: String)
    /// The device exists but this user may not open it.
    case permissionDenied(path: String)
    /// Opening the device failed for another reason.
    case openFailed(path: String, errno: Errno)
    /// KVM_GET_API_VERSION did not return the stable version 12.
    case apiVersionMismatch(found: Int32, expected: Int32)
    /// A capability swift-vmm needs is not offered by this kernel.
    case missingCapability(Capability)
    /// An ioctl failed: the operation's name and errno.
    case ioctlFailed(operation: String, errno: Errno)
    /// Mapping the vCPU's kvm_run area failed.
    case mmapFailed(operation: String, errno: Errno)
    /// The kernel returned something this layer cannot use.
    case unexpected(operation: String, detail: String)

    public var description: String {
        switch self {
        case .deviceMissing(let path):
            return "\(path) does not exist: KVM is not available (is the kvm module loaded, "
                + "and is the device passed into this container?)"
        case .permissionDenied(let path):
            return "no permission to open \(path): run as root or add this user to the kvm group"
        case .openFailed(let path, let errno):
            return "cannot open \(path): \(errno) (errno \(errno.rawValue))"
        case .apiVersionMismatch(let found, let expected):
            return "KVM API version is \(found), swift-vmm needs \(expected)"
        case .missingCapability(let capability):
            return "KVM lacks a required capability: \(capability.name) (\(capability.rawValue))"
        case .ioctlFailed(let operation, let errno):
            return "\(operation) failed: \(errno) (errno \(errno.rawValue))"
        case .mmapFailed(let operation, let errno):
            return "\(operation) failed: \(errno) (errno \(errno.rawValue))"
        case .unexpected(let operation, let detail):
            return "\(operation): \(detail)"
        }
    }
}
