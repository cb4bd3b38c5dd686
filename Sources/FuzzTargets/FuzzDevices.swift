import Devices
import Glibc
import Memory
import Virtio

/// Back ends for fuzzing virtio devices: they accept everything and produce nothing,
/// so only the guest side (rings and registers) is driven by the input.
struct NullSerialOutput: SerialOutput {
    func write(byte: UInt8) {}
}

final class NullNetBackend: NetBackend {
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> NetReceiveResult { .wouldBlock }
    func send(_ frame: UnsafeRawBufferPointer) -> NetSendResult { .sent }
}

final class RefusingVsockBackend: VsockBackend {
    struct Refused: Error {}
    func connect(toHostPort port: UInt32) throws -> any VsockHostStream { throw Refused() }
}

/// The virtio device types a fuzz input can pick.
enum FuzzDeviceKind: UInt8, CaseIterable {
    case rng, console, net, vsock, block

    /// A fresh device of this kind (nil: its back end could not be made, e.g. no
    /// temporary file for the block image).
    func make() -> (any VirtioDevice)? {
        switch self {
        case .rng: return VirtioRNG()
        case .console: return VirtioConsole(output: NullSerialOutput())
        case .net: return VirtioNet(backend: NullNetBackend(), mac: [0x52, 0x54, 0, 0x12, 0x34, 0x56])
        case .vsock: return VirtioVsock(guestCID: 3, backend: RefusingVsockBackend(), log: { _ in })
        case .block:
            guard let path = BlockScratchImage.path else { return nil }
            return try? VirtioBlock(path: path)
        }
    }

    init(selector: UInt8) {
        self = Self.allCases[Int(selector) % Self.allCases.count]
    }
}

/// A 64 KiB disk image in the temporary directory, made once per process and
/// removed at exit, for the block device.
enum BlockScratchImage {
    static let size = 64 * 1024

    static let path: String? = {
        var template = Array("/tmp/swift-vmm-fuzz-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)
        }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { return nil }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        atexit { if let path = BlockScratchImage.path { unlink(path) } }
        return path
    }()
}

/// Guest memory for the virtio targets: two RAM regions with a 4 KiB hole between
/// them, so buffers can straddle a gap.
enum FuzzMemory {
    static let ranges = [
        GuestRange(start: GuestAddress(0), size: 0x8000),
        GuestRange(start: GuestAddress(0x9000), size: 0x7000),
    ]

    /// Fresh memory whose RAM, regions in order, starts with `contents`.
    static func make(contents: [UInt8]) -> GuestMemory? {
        guard let memory = try? GuestMemory(ranges: ranges, hugePages: false) else { return nil }
        var rest = contents[...]
        for range in ranges where !rest.isEmpty {
            let chunk = rest.prefix(Int(range.size))
            try? memory.write(Array(chunk), at: range.start)
            rest = rest.dropFirst(chunk.count)
        }
        return memory
    }
}
