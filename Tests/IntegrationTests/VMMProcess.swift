import Foundation
import Glibc
import Synchronization

/// The `vmm` executable running in the background, its standard output watched
/// line by line so a test can act when the guest prints something.
final class VMMProcess: Sendable {
    private let process: Process
    private let output = Mutex<(stdout: String, stderr: String)>(("", ""))
    private let done = DispatchGroup()

    init(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Environment.vmmBinary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        self.process = process
        try process.run()
        for (pipe, isError) in [(out, false), (err, true)] {
            done.enter()
            Thread.detachNewThread { [self] in
                while true {
                    let data = pipe.fileHandleForReading.availableData
                    if data.isEmpty { break }
                    let text = String(decoding: data, as: UTF8.self)
                    output.withLock { if isError { $0.stderr += text } else { $0.stdout += text } }
                }
                done.leave()
            }
        }
    }

    /// The process's ID (e.g. to find its children or send it a signal).
    var pid: pid_t { process.processIdentifier }
    var stdout: String { output.withLock { $0.stdout } }
    var stderr: String { output.withLock { $0.stderr } }

    /// Kills the process at once (SIGKILL), as an orchestrator does after a snapshot.
    func kill() {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
    }

    /// Waits until standard output contains `text`; false after `timeout` s or
    /// if the process ended first.
    func waitForText(_ text: String, timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stdout.contains(text) { return true }
            if !process.isRunning && done.wait(timeout: .now()) == .success { return stdout.contains(text) }
            usleep(10_000)
        }
        return false
    }

    /// Waits until standard output has the line `line`; false after `timeout` s
    /// or if the process ended first.
    func waitForLine(_ line: String, timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stdout.split(separator: "\n").contains(Substring(line)) { return true }
            if !process.isRunning && done.wait(timeout: .now()) == .success { return false }
            usleep(10_000)
        }
        return false
    }

    /// Waits for the exit (terminating the process after `timeout` s).
    func finish(timeout: Double = 60) -> Environment.ProcessResult {
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            done.wait()
        }
        process.waitUntilExit()
        let (stdout, stderr) = output.withLock { $0 }
        return Environment.ProcessResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}
