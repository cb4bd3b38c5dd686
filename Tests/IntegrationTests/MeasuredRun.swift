import Foundation
import Glibc

/// One run of a command with its peak resident set size measured: the child's
/// `VmHWM` from /proc/<pid>/status, polled every 5 ms while it runs (growth in its
/// last 5 ms can be missed). Not wait4(2)'s `ru_maxrss`: Linux keeps that across
/// execve, so after posix_spawn it starts at the test process's own peak. Output
/// goes to files, not pipes, so a chatty child never blocks and nothing is lost
/// when it is killed.
struct MeasuredRun {
    /// The exit status, or nil when a signal ended the process.
    var status: Int32?
    /// The signal that ended the process (nil: it exited).
    var signal: Int32?
    var stdout: String
    var stderr: String
    /// Peak resident set, KiB.
    var peakRSSKiB: Int
    var seconds: Double
    /// Whether the timeout killed it.
    var timedOut: Bool

    var peakRSSMiB: Double { Double(peakRSSKiB) / 1024 }

    enum Failure: Error { case spawn(Int32) }

    static func run(_ arguments: [String], timeout: Double = 60) throws -> MeasuredRun {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("vmm-measured-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outPath = directory.appendingPathComponent("stdout").path
        let errPath = directory.appendingPathComponent("stderr").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = Date()
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw Failure.spawn(spawned) }

        var peak = 0
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        while true {
            let result = wait4(pid, &status, WNOHANG, &usage)
            if result == pid { break }
            if result < 0 && errno != EINTR { break }
            peak = max(peak, Self.highWaterMark(pid) ?? 0)
            if !timedOut && Date().timeIntervalSince(start) > timeout {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(5000)
        }
        let seconds = Date().timeIntervalSince(start)
        let signalled = status & 0x7f
        return MeasuredRun(status: signalled == 0 ? (status >> 8) & 0xff : nil,
                           signal: signalled == 0 ? nil : signalled,
                           stdout: (try? String(contentsOfFile: outPath, encoding: .isoLatin1)) ?? "",
                           stderr: (try? String(contentsOfFile: errPath, encoding: .isoLatin1)) ?? "",
                           peakRSSKiB: peak, seconds: seconds, timedOut: timedOut)
    }

    /// VmHWM (KiB) of a running process, nil once it has exited.
    static func highWaterMark(_ pid: pid_t) -> Int? {
        // procfs files report size 0, so read until end of file rather than by size.
        let fd = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
}
