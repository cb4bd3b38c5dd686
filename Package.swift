// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "swift-vmm",
    products: [
        .executable(name: "vmm", targets: ["vmm"]),
        .executable(name: "vmm-fuzz", targets: ["FuzzMain"]),
        .library(name: "VMM", targets: ["VMM"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.11.0"),  // LogHandler.log(event:)
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
    ],
    targets: [
        // C shim: <linux/kvm.h>, request numbers as constants, non-variadic ioctl wrappers.
        .target(name: "CKVM"),
        // C shim for host calls outside KVM (the TAP device's TUNSETIFF). Used by VMM.
        .target(name: "CHost"),
        // seccomp-bpf: x86_64 syscall numbers, the allow-list per thread kind, the BPF
        // program builder (pure) and its installation through CHost.
        .target(name: "Seccomp", dependencies: ["CHost"]),
        // CPUID data and the CPUID policy (templates, named features, edits). No KVM.
        .target(name: "CPUModel", exclude: ["README.md"]),
        // Typed handles over KVM. The only target that imports CKVM.
        .target(
            name: "KVM",
            dependencies: ["CKVM", "CPUModel", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // Guest physical memory: addresses, regions, bounds-checked access. No KVM.
        .target(name: "Memory"),
        // The snapshot state file: sections, field encoding, checksum. No KVM.
        .target(name: "Snapshot"),
        // Guest image formats: multiboot, ELF, flat. Produces a boot plan. No KVM.
        .target(name: "Loader", dependencies: ["Memory"], exclude: ["README.md"]),
        // Legacy devices as pure register-level state machines. No KVM.
        .target(name: "Devices", dependencies: ["Snapshot", .product(name: "DequeModule", package: "swift-collections")]),
        // Virtio: split virtqueues, the virtio-mmio transport, blk/rng/console back ends. No KVM.
        .target(name: "Virtio", dependencies: ["Memory", "Devices", "Snapshot"]),
        // Firmware tables (MP table) as plain bytes. No KVM, no guest memory.
        .target(name: "Firmware", exclude: ["README.md"]),
        // The machine: builder, I/O bus, vCPU threads, exit loop, statistics.
        .target(
            name: "VMM",
            dependencies: [
                "KVM", "Memory", "Loader", "Devices", "Firmware", "Virtio", "CHost", "Snapshot", "Seccomp",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                "CPUModel",
            ]
        ),
        // The Firecracker-compatible REST API: HTTP/1.1 over a Unix socket (swift-nio), the
        // request models, and the controller that applies pre-/post-boot rules. No KVM, no VMM:
        // it drives the machine through the `MachineDriver` protocol.
        .target(
            name: "API",
            dependencies: [
                "Seccomp",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // vmm jail: chroot, namespaces, cgroup v2 and dropped privileges for the VMM. No KVM.
        .target(name: "Jail", dependencies: ["CHost"]),
        // Fuzz targets: one entry per parser that takes untrusted bytes (docs/security.md).
        .target(
            name: "FuzzTargets",
            dependencies: [
                "Virtio", "Memory", "Devices", "Loader", "Snapshot", "API",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // vmm-fuzz: libFuzzer driver for FuzzTargets (scripts/fuzz.sh), or a replayer.
        .executableTarget(name: "FuzzMain", dependencies: ["FuzzTargets"]),
        // vmm lab: experiments with built-in guests that measure virtualization costs.
        .target(name: "Lab", dependencies: ["VMM", "KVM", "Memory", "CPUModel"]),
        .executableTarget(
            name: "vmm",
            dependencies: [
                "VMM", "CPUModel", "Lab", "API", "Devices", "Seccomp", "Jail",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The library's life cycle as a small program (docs/library.md).
        .executableTarget(name: "LibraryExample", dependencies: ["VMM"], path: "Examples/LibraryExample"),
        // A blocking HTTP/1.1 client over a Unix socket, shared by the API and process tests.
        .target(name: "HTTPTestClient", path: "Tests/Shared/HTTPTestClient"),
        .testTarget(
            name: "APITests",
            dependencies: ["API", "HTTPTestClient", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "MemoryTests", dependencies: ["Memory"]),
        .testTarget(name: "SeccompTests", dependencies: ["Seccomp", "CKVM"]),
        .testTarget(name: "SnapshotTests", dependencies: ["Snapshot"]),
        .testTarget(name: "LoaderTests", dependencies: ["Loader", "Memory"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "Snapshot"]),
        .testTarget(name: "FirmwareTests", dependencies: ["Firmware"]),
        .testTarget(name: "CPUModelTests", dependencies: ["CPUModel"]),
        .testTarget(name: "VirtioTests", dependencies: ["Virtio", "Memory", "Devices", "Snapshot"]),
        .testTarget(
            name: "VMMTests",
            dependencies: ["VMM", "vmm", "CPUModel", "API", .product(name: "MetricsTestKit", package: "swift-metrics")]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["VMM", "KVM", "CPUModel", "Loader", "Firmware", "Snapshot", "vmm", "LibraryExample", "API",
                           "HTTPTestClient"]
        ),
        .testTarget(name: "JailTests", dependencies: ["Jail"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"], exclude: ["Inputs", "Seeds"]),
        .testTarget(name: "LabTests", dependencies: ["Lab", "VMM", "KVM", "CPUModel"]),
    ],
    swiftLanguageModes: [.v6]
)
