import CKVM
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Passes the bytes of `buffer` (a raw kvm struct) to an ioctl.
func kvmIoctl(_ fd: Int32, _ request: UInt, bytes buffer: inout [UInt8], _ operation: StaticString)
    throws(KVMError) -> Int32
{
    // Array.withUnsafeMutableBytes rethrows untyped errors: issue the call inside
    // and rethrow its typed error outside.
    let outcome = buffer.withUnsafeMutableBytes { raw -> Result<Int32, KVMError> in
        guard let base = raw.baseAddress else {
            return .failure(.unexpected(operation: "\(operation)", detail: "empty argument"))
        }
        do throws(KVMError) {
            return .success(try kvmIoctl(fd, request, pointer: base, operation))
        } catch { return .failure(error) }
    }
    return try outcome.get()
}

/// Reads a kvm struct of `size` bytes with a GET ioctl.
func kvmGetBytes(_ fd: Int32, _ request: UInt, size: Int, _ operation: StaticString) throws(KVMError) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: size)
    _ = try kvmIoctl(fd, request, bytes: &bytes, operation)
    return bytes
}

/// Writes a kvm struct with a SET ioctl after checking it has the size the kernel expects.
func kvmSetBytes(_ fd: Int32, _ request: UInt, _ bytes: [UInt8], size: Int, _ operation: StaticString)
    throws(KVMError)
{
    guard bytes.count == size else {
        throw .unexpected(operation: "\(operation)", detail: "\(bytes.count) bytes given, the kernel's struct has \(size)")
    }
    var copy = bytes
    _ = try kvmIoctl(fd, request, bytes: &copy, operation)
}
