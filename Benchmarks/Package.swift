// swift-tools-version: 6.1
//
// The allocation benchmark of swift-vmm (ordo-one/benchmark, malloc counts), and
// StartupPhases, a program that times a VM's phases in-process.
// Run through Benchmarks/run.sh, or by hand from this folder:
//
//   SWIFT_VMM_IOLOOP=/path/to/ioloop.elf swift package --disable-sandbox benchmark \
//       --target ExitLoopAllocations --metric mallocCountTotal
//
// It depends on the root package by path. A path dependency's identity is the
// name of its folder, which is not always "swift-vmm" (a clone may be named
// anything), so it is computed here from this file's location.
import Foundation
import PackageDescription

let rootFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = rootFolder.lastPathComponent.lowercased()

let package = Package(
    name: "swift-vmm-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ExitLoopAllocations",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "VMM", package: rootIdentity),
            ],
            path: "Benchmarks/ExitLoopAllocations",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Not a benchmark of the plugin: a plain program that times a VM's build,
        // run and teardown in-process (Benchmarks/run.sh, section b).
        .executableTarget(
            name: "StartupPhases",
            dependencies: [.product(name: "VMM", package: rootIdentity)],
            path: "StartupPhases"
        ),
    ]
)
