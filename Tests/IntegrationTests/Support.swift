import Foundation
import KVM
import Testing
import VMM

/// Where things are, and whether the host can run them.
enum Environment {
    /// The package root (this file is Tests/IntegrationTests/Support.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Why KVM cannot be used here, or nil when it can.
    static let kvmUnavailableReason: String? = {
        do {
            _ = try KVMSystem()
            return nil
        } catch {
            let reason = "skipping: KVM is not usable here: \(error)"
            print(reason)
            return reason
        }
    }()

    static var kvmAvailable: Bool { kvmUnavailableReason == nil }

    /// The guests, built once per test run with the system's gcc and binutils.
    static let guests: Result<URL, GuestBuildError> = {
        let out = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-vmm-guests-\(getpid())")
        let result = run(["make", "-s", "-C", packageRoot.appendingPathComponent("Guests").path, "OUT=\(out.path)"])
        guard result.status == 0 else {
            return .failure(GuestBuildError(message: "make -C Guests failed (\(result.status)): \(result.stderr)"))
        }
        return .success(out)
    }()

    struct GuestBuildError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Path of a built guest; the test fails if the guests could not be built.
    static func guest(_ name: String) throws -> String {
        try guests.get().appendingPathComponent(name).path
    }

    /// The `vmm` executable built beside the test bundle.
    static let vmmBinary: String = {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleDirectory, bundleDirectory.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("vmm").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return packageRoot.appendingPathComponent(".build/debug/vmm").path
    }()

    static let qemuPath: String? = {
        for directory in ["/usr/bin", "/usr/local/bin"] {
            let path = directory + "/qemu-system-x86_64"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        print("skipping QEMU comparisons: qemu-system-x86_64 is not installed (.ci/run installs it)")
        return nil
    }()

    struct ProcessResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a command to completion, capturing its output. `timeout` kills it.
    /// Standard input is /dev/null, or a pipe that delivers `input` and then ends.
    static func run(_ arguments: [String], timeout: Double = 60, input: String? = nil) -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        do { try process.run() } catch {
            return ProcessResult(status: -1, stdout: "", stderr: "cannot start \(arguments[0]): \(error)")
        }
        if let inputPipe, let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try? inputPipe.fileHandleForWriting.close()
        }
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        // Read both pipes fully before waiting, so a chatty child never blocks.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        group.wait()
        process.waitUntilExit()
        killer.cancel()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// One guest run through the library, with its serial output and exit accounting.
struct GuestRun {
    let reason: StopReason
    let output: String
    let report: ExitReport
    let plan: VirtualMachine

    /// Boots `configuration` with captured serial output and waits (at most `timeout` s).
    static func boot(_ configure: (inout MachineConfiguration) -> Void, timeout: Double = 30) throws -> GuestRun {
        let output = CapturedSerialOutput()
        var configuration = MachineConfiguration()
        configuration.memorySize = 64 << 20
        configuration.serialOutput = output
        configure(&configuration)
        let machine = try VirtualMachine(configuration: configuration)
        try machine.start()
        let reason = machine.wait(timeout: timeout)
        return GuestRun(reason: reason, output: output.text, report: machine.report(), plan: machine)
    }

    /// Boots a built guest file.
    static func boot(guest name: String, commandLine: String = "", timeout: Double = 30,
                     _ configure: (inout MachineConfiguration) -> Void = { _ in }) throws -> GuestRun {
        let path = try Environment.guest(name)
        return try boot({ configuration in
            configuration.kernel = .file(path: path)
            configuration.commandLine = commandLine
            configure(&configuration)
        }, timeout: timeout)
    }

    var exitStatus: Int32 { reason.exitStatus }
    func exits(_ reason: ExitReason) -> UInt64 { report.count(reason) }
}

/// Tests that need /dev/kvm are skipped, with the reason printed, where it is unusable.
let requiresKVM: ConditionTrait = .enabled(if: Environment.kvmAvailable, "needs a usable /dev/kvm")
