import CKVM
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Issues an ioctl, retrying on EINTR, and turns failure into `KVMError.ioctlFailed`
/// naming `operation`. Returns the ioctl's non-negative result.
@inline(__always)
func kvmIoctl(_ fd: Int32, _ request: UInt, _ argument: UInt = 0, _ operation: StaticString)
    throws(KVMError) -> Int32
{
    while true {
        let result = ckvm_ioctl(fd, request, argument)
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        throw .ioctlFailed(operation: "\(operation)", errno: Errno(rawValue: code))
    }
}

/// Like `kvmIoctl`, passing a pointer argument.
@inline(__always)
func kvmIoctl(_ fd: Int32, _ request: UInt, pointer: UnsafeMutableRawPointer, _ operation: StaticString)
    throws(KVMError) -> Int32
{
    while true {
        let result = ckvm_ioctl_ptr(fd, request, pointer)
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        throw .ioctlFailed(operation: "\(operation)", errno: Errno(rawValue: code))
    }
}

/// Passes a pointer to `value` to an ioctl.
@inline(__always)
func kvmIoctl<T>(_ fd: Int32, _ request: UInt, value: inout T, _ operation: StaticString)
    throws(KVMError) -> Int32
{
    try withUnsafeMutableBytes(of: &value) { (raw) throws(KVMError) -> Int32 in
        // A Swift value always has a base address when its size is non-zero.
        guard let base = raw.baseAddress else {
            throw .unexpected(operation: "\(operation)", detail: "zero-sized argument")
        }
        return try kvmIoctl(fd, request, pointer: base, operation)
    }
}
