@testable import VMM
import Foundation
import Testing

/// OSThread names the threads it starts, so that `top -H`, `perf` and the
/// virtio-blk benchmark (which reads per-thread CPU time) can tell them apart.
@Suite struct OSThreadTests {
    /// Starts a thread named `name` and returns what the kernel calls it.
    private func kernelName(of name: String) throws -> String {
        let result = NameBox()
        let done = DispatchSemaphore(value: 0)
        let handle = try OSThread.spawn(name) {
            result.value = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "<unreadable>"
            done.signal()
        }
        done.wait()
        pthread_join(handle, nil)
        return result.value.trimmingCharacters(in: .newlines)
    }

    @Test func threadsCarryTheirName() throws {
        #expect(try kernelName(of: "I/O thread") == "I/O thread")
        #expect(try kernelName(of: "vCPU thread") == "vCPU thread")
    }

    @Test func longNamesAreCutTo15Bytes() throws {
        #expect(try kernelName(of: "serial input thread") == "serial input th")
    }
}

private final class NameBox: @unchecked Sendable {
    var value = ""
}
