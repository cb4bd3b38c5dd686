import CPUModel
import Devices
import Loader
import Seccomp

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
    /// Track the pages written since the last snapshot (KVM's dirty log plus the
    /// VMM's own writes), so that diff snapshots can be taken (Firecracker's
    /// `track_dirty_pages`). Off: guest writes cost nothing extra.
    public var trackDirtyPages = false
    /// Where the serial port's output goes (default: standard output).
    public var serialOutput: any SerialOutput = FileSerialOutput.standardOutput
    /// Where the serial port's input comes from (the CLI: standard input when it is
    /// a terminal or a pipe).
    public var serialInput: SerialInput = .none
    /// A Linux initrd (initramfs) file, for Linux kernels; for a multiboot or PVH
    /// kernel, its first module (whose string is the path).
    public var initrdPath: String? = nil
    /// Modules for a multiboot or PVH kernel, after the initrd (`--module`).
    public var modules: [ModuleFile] = []
    /// Which entry point of an ELF kernel to use (`--boot-protocol`).
    public var bootProtocol: BootProtocol = .auto
    /// ACPI tables (RSDP at 0xE0000, MADT, FADT, DSDT) and the fixed ACPI hardware
    /// (PM1 blocks, PM timer, reset register); `--no-acpi` leaves both out.
    public var acpi = true
    /// What a guest reset (i8042 0xFE, KVM reset event) does.
    public var onReset: ResetAction = .exit
    /// virtio-blk disks, in order (the first is /dev/vda in Linux).
    public var drives: [DriveConfiguration] = []
    /// virtio-net devices, each over a host TAP device, in order (eth0 first in Linux).
    public var nets: [NetConfiguration] = []
    /// A virtio-rng device fed from the host kernel's random source.
    public var rng = false
    /// A virtio-console (hvc0) whose output goes to `serialOutput` as well.
    public var virtioConsole = false
    /// A virtio-vsock device whose host side is Unix sockets (Firecracker's model).
    public var vsock: VsockConfiguration? = nil
    public var kvmPath = "/dev/kvm"
    /// Record individual exits, keeping the latest this many per vCPU (`--trace`);
    /// nil: no trace, and the exit loop pays one nil test.
    public var traceCapacity: Int? = nil
    /// The MSR policy: accesses these rules name leave the guest and are answered
    /// in user space (`MSRRule`); others are KVM's business. At most 16 rules.
    public var msrRules: [MSRRule] = []
    /// What HLT costs (`--halt`).
    public var halt: HaltMode = .inKernel
    /// Whether PAUSE-loop exiting stays on (KVM's default); false disables it.
    public var pauseExits = true
    /// Extra KVM coalesced zones (`--coalesced`), on top of the machine's own.
    public var coalescedZones: [CoalescedZone] = []
    /// The guest's CPUID: template, named feature edits, raw edits (docs/cpuid.md).
    public var cpuid = CPUIDPolicy()
    /// seccomp-bpf filters on the threads the machine creates (vCPU threads get the
    /// `.vcpu` allow-list; the I/O thread, serial input pump and exit samplers `.io`),
    /// each installed once the thread is set up, with this action for any other call.
    /// nil (the library's default): no filters, because a library caller's own code
    /// runs on these threads (a custom `SerialOutput` on the vCPU threads, a
    /// `sample(every:)` observer on the sampler) and may need calls the lists lack.
    /// The `vmm` command sets `.killProcess` unless `--no-seccomp` (docs/security.md).
    public var seccomp: SeccompAction? = nil
    /// Counting register windows for experiments (`vmm lab`), each trapped,
    /// coalesced or behind an ioeventfd; see `ProbeWindow`.
    public var probes: [ProbeWindow] = []
    /// Upper bounds on memory, devices, logs, traces and connections (`--limit`).
    public var limits = ResourceLimits()

    /// The most vCPUs a machine can have, whatever KVM allows (APIC IDs 0-253).
    public static let maximumVCPUs = 254

    public init() {}

    /// Checks values that do not need KVM to be judged.
    public func validate(maximumVCPUs: Int = 1024) throws(VMMError) {
        // The MP table gives the I/O APIC the ID after the last CPU's, and 0xFF is
        // the broadcast ID: at most 254 vCPUs, and never more than KVM allows.
        let limit = min(maximumVCPUs, Self.maximumVCPUs)
        guard vcpuCount >= 1, vcpuCount <= limit else {
            throw .invalidConfiguration(option: "--cpus", reason: "\(vcpuCount) is not between 1 and \(limit)")
        }
        guard memorySize >= 1 << 20, memorySize % 4096 == 0 else {
            throw .invalidConfiguration(option: "--memory",
                                        reason: "\(memorySize) bytes is not a whole number of pages of at least 1 MiB")
        }
        guard memorySize <= limits.memory else {
            throw .invalidConfiguration(option: "--memory", reason: "\(ResourceLimits.describe(bytes: memorySize)) "
                + "is more than the memory limit of \(ResourceLimits.describe(bytes: limits.memory)) "
                + "(--limit memory=SIZE)")
        }
        let devices = drives.count + nets.count + (rng ? 1 : 0) + (virtioConsole ? 1 : 0) + (vsock == nil ? 0 : 1)
        guard devices <= limits.devices else {
            throw .invalidConfiguration(option: "--limit devices", reason: "\(devices) virtio devices are more "
                + "than the device limit of \(limits.devices) (--limit devices=N, at most \(VirtioLayout.capacity))")
        }
    }
}

/// What the VMM does when the guest resets the machine.
public enum ResetAction: String, Sendable, CaseIterable {
    /// End the VM (exit status 0), as Firecracker does: the orchestrator decides.
    case exit
    /// Build the machine again from its configuration and boot it afresh.
    case restart
}

/// One virtio-blk disk: a raw image file.
public struct DriveConfiguration: Sendable, Equatable {
    public var path: String
    public var readOnly: Bool

    public init(path: String, readOnly: Bool = false) {
        self.path = path
        self.readOnly = readOnly
    }

    /// Parses `--drive` values: `PATH` or `PATH,ro` (also `,rw`).
    public static func parse(_ text: String) throws(VMMError) -> DriveConfiguration {
        var parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let path = parts.removeFirst()
        guard !path.isEmpty else {
            throw .invalidConfiguration(option: "--drive", reason: "'\(text)' has no file path")
        }
        var drive = DriveConfiguration(path: path)
        for option in parts {
            switch option {
            case "ro", "readonly": drive.readOnly = true
            case "rw": drive.readOnly = false
            default:
                throw .invalidConfiguration(option: "--drive", reason: "unknown option '\(option)' in '\(text)' "
                    + "(use PATH or PATH,ro)")
            }
        }
        return drive
    }
}
