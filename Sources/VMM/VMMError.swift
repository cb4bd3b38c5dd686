import Devices
import KVM
import Loader
import Memory
import Snapshot

/// Why a VM could not be built or started. Each case says what was wrong.
public enum VMMError: Error, CustomStringConvertible {
    case kvm(KVMError)
    case memory(MemoryError)
    case loader(LoaderError)
    /// A configuration value is invalid: which option, and why.
    case invalidConfiguration(option: String, reason: String)
    /// Two devices claim overlapping addresses.
    case busConflict(name: String, range: String, existing: String)
    /// The kernel file could not be read.
    case kernelUnreadable(path: String, reason: String)
    /// A thread could not be created or a signal handler installed.
    case threadSetup(String)
    /// An operation that needs a particular VM state was called in another.
    case invalidState(operation: String, state: String)
    /// A firmware table (MP table) could not be built or placed.
    case firmware(String)
    /// A snapshot could not be written, read or restored.
    case snapshot(SnapshotError)
    /// Keys could not be queued in the guest's keyboard controller.
    case keyboard(KeyboardInputError)

    public var description: String {
        switch self {
        case .kvm(let error): return error.description
        case .memory(let error): return error.description
        case .loader(let error): return error.description
        case .invalidConfiguration(let option, let reason): return "invalid \(option): \(reason)"
        case .busConflict(let name, let range, let existing):
            return "device \(name) at \(range) overlaps \(existing)"
        case .kernelUnreadable(let path, let reason): return "cannot read kernel \(path): \(reason)"
        case .threadSetup(let detail): return "thread setup failed: \(detail)"
        case .invalidState(let operation, let state): return "cannot \(operation) while the VM is \(state)"
        case .firmware(let detail): return "firmware tables: \(detail)"
        case .snapshot(let error): return error.description
        case .keyboard(let error): return "cannot send keys: \(error)"
        }
    }
}
