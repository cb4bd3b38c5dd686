@testable import VMM
import Foundation
import Testing

/// Closing a vsock multiplexer twice (the VM's own close, then deinit) must touch
/// nothing the first close released: not the descriptor number, which another file
/// may have by then, nor a socket a new VM made at the same path.
@Suite struct VsockMultiplexerCloseTests {
    @Test func aSecondCloseLeavesOthersFilesAlone() throws {
        let path = "/tmp/vsock-close-\(UUID().uuidString.prefix(8)).sock"
        var first: VsockMultiplexer? = try VsockMultiplexer(VsockConfiguration(guestCID: 3, udsPath: path))
        first?.close()
        // The listener's number is free now: the next descriptors take the lowest free ones.
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[0]); close(pipeEnds[1]) }
        let second = try VsockMultiplexer(VsockConfiguration(guestCID: 3, udsPath: path))
        first = nil  // deinit: closes again
        #expect(fcntl(pipeEnds[0], F_GETFD) >= 0 && fcntl(pipeEnds[1], F_GETFD) >= 0, "a pipe end was closed")
        #expect(FileManager.default.fileExists(atPath: path), "the new multiplexer's socket was unlinked")
        second.close()
        #expect(!FileManager.default.fileExists(atPath: path))
        _ = first
    }
}
