import Devices
import Loader

/// What to boot.
public enum KernelSource: Sendable {
    /// The built-in demo guest.
    case demo
    /// An image file, its format detected (multiboot, ELF) or given (`flat`).
    case file(path: String)
    /// An image already in memory.
    case bytes([UInt8], name: String)
}

/// Everything needed to build a VM. Plain data: the CLI and the API fill it in.
public struct MachineConfiguration: Sendable {
    /// Guest RAM in bytes (a whole number of 4 KiB pages, at least 1 MiB).
    public var memorySize: UInt64 = 128 << 20
    public var vcpuCount: Int = 1
    public var kernel: KernelSource = .demo
    public var commandLine: String = ""
    /// Load the kernel as a raw binary at this address, entered in this mode.
    public var flat: FlatImageOptions? = nil
    /// Stop the VM on the first access to a port or MMIO address with no device.
    public var strictIO = false
    /// Ask for transparent huge pages on guest RAM.
    public var hugePages = true
    /// Where the serial port's output goes (default: standard output).
    public var serialOutput: any SerialOutput = FileSerialOutput.standardOutput
    public var kvmPath = "/dev/kvm"

    public init() {}

    /// Checks values that do not need KVM to be judged.
    public func validate(maximumVCPUs: Int = 1024) throws(VMMError) {
        guard vcpuCount >= 1, vcpuCount <= maximumVCPUs else {
            throw .invalidConfiguration(option: "--cpus", reason: "\(vcpuCount) is not between 1 and \(maximumVCPUs)")
        }
        // Without an interrupt controller every vCPU would start at the boot entry;
        // application processors wait for INIT/SIPI from the in-kernel APIC.
        guard vcpuCount == 1 else {
            throw .invalidConfiguration(option: "--cpus", reason: "more than one vCPU needs the in-kernel "
                + "interrupt controller, which is not built yet")
        }
        guard memorySize >= 1 << 20, memorySize % 4096 == 0 else {
            throw .invalidConfiguration(option: "--memory",
                                        reason: "\(memorySize) bytes is not a whole number of pages of at least 1 MiB")
        }
    }
}
