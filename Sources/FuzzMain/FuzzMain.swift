// vmm-fuzz: the fuzzer entry for the targets in FuzzTargets.
//
//   vmm-fuzz TARGET [libFuzzer options] [CORPUS...]   fuzz (built with --sanitize=fuzzer -DFUZZING)
//   vmm-fuzz TARGET FILE...                           replay inputs (a normal build)
//   vmm-fuzz seeds DIR [GUEST_IMAGE...]               write seed corpora to DIR/TARGET/
//
// TARGET is one of virtqueue, loader, snapshot, api. See scripts/fuzz.sh and
// docs/security.md.

import FuzzTargets
import Glibc

func fail(_ message: String) -> Never {
    FileHandleOutput.standardError("vmm-fuzz: \(message)\n")
    exit(2)
}

enum FileHandleOutput {
    static func standardError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}

func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if count == 0 { break }
        bytes += chunk[0..<count]
    }
    return ferror(file) == 0 ? bytes : nil
}

func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
    guard let file = fopen(path, "wb") else { return false }
    defer { fclose(file) }
    return bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) } == bytes.count
}

func writeSeeds(directory: String, guestImagePaths: [String]) {
    var images: [(name: String, bytes: [UInt8])] = []
    for path in guestImagePaths {
        guard let bytes = readFile(path) else { fail("cannot read \(path)") }
        images.append((String(path.split(separator: "/").last ?? Substring(path)), bytes))
    }
    mkdir(directory, 0o755)
    for target in FuzzTarget.allCases {
        let folder = "\(directory)/\(target.rawValue)"
        mkdir(folder, 0o755)
        let seeds = target.seeds(guestImages: images)
        for seed in seeds where !writeFile("\(folder)/\(seed.name)", seed.bytes) {
            fail("cannot write \(folder)/\(seed.name)")
        }
        print("\(target.rawValue): \(seeds.count) seeds in \(folder)")
    }
}

#if FUZZING
// A fuzzing build (--sanitize=fuzzer, which compiles this file as a library):
// libFuzzer owns main() and calls the two hooks below. The target is the first
// argument (taken out before libFuzzer reads its options), or VMM_FUZZ_TARGET.

nonisolated(unsafe) var selectedTarget: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> Int32 {
    let words = (0..<Int(argc.pointee)).map { argv.pointee?[$0].map { String(cString: $0) } ?? "" }
    if words.count >= 3, words[1] == "seeds" {
        writeSeeds(directory: words[2], guestImagePaths: Array(words.dropFirst(3)))
        exit(0)
    }
    if argc.pointee >= 2, let arguments = argv.pointee, let first = arguments[1],
        let target = FuzzTarget(rawValue: String(cString: first))
    {
        selectedTarget = target
        for index in 1..<Int(argc.pointee) { arguments[index] = arguments[index + 1] }
        argc.pointee -= 1
    } else if let name = getenv("VMM_FUZZ_TARGET"), let target = FuzzTarget(rawValue: String(cString: name)) {
        selectedTarget = target
    } else {
        fail("name a target first: vmm-fuzz TARGET [libFuzzer options] [CORPUS...] (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let target = selectedTarget else { return 0 }
    if let data, size > 0 {
        target.run(Array(UnsafeBufferPointer(start: data, count: size)))
    } else {
        target.run([])
    }
    return 0
}
#else
// Any other build: write seeds, or run each file given through the target once.
@main
struct FuzzMain {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else {
            fail("usage: vmm-fuzz TARGET FILE... | vmm-fuzz seeds DIR [GUEST_IMAGE...]")
        }
        if arguments[1] == "seeds" {
            guard arguments.count >= 3 else { fail("usage: vmm-fuzz seeds DIR [GUEST_IMAGE...]") }
            writeSeeds(directory: arguments[2], guestImagePaths: Array(arguments.dropFirst(3)))
            return
        }
        guard let target = FuzzTarget(rawValue: arguments[1]) else {
            fail("unknown target \(arguments[1]) (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        for path in arguments.dropFirst(2) {
            guard let input = readFile(path) else { fail("cannot read \(path)") }
            print("\(path): \(target.run(input)) accepted")
        }
    }
}
#endif
