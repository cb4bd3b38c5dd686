import Memory
import Testing

@Suite struct MemorySizeTests {
    static let validSizes: [(String, UInt64)] = [
        ("64M", 64 << 20), ("1G", 1 << 30), ("512MiB", 512 << 20), ("4096K", 4 << 20),
        ("2097152", 2 << 20), ("2097152B", 2 << 20), ("1t", 1 << 40), (" 128m ", 128 << 20), ("3GB", 3 << 30),
    ]

    @Test(arguments: validSizes)
    func valid(text: String, bytes: UInt64) throws {
        #expect(try MemorySize.parse(text) == bytes)
    }

    @Test(arguments: ["", "abc", "-1", "64X", "0", "1.5G", "M", "64 M", "2T", "1048577", "1000000",
                      "99999999999999999999", "18446744073709551615K", "17179869184G", "512K"])
    func invalid(text: String) {
        #expect(throws: MemoryError.self) { try MemorySize.parse(text) }
    }

    @Test func reasonsNameTheProblem() {
        #expect(throws: MemoryError.invalidSizeString("64X", reason: "unknown unit 'X' (use K, M, G or T)")) {
            try MemorySize.parse("64X")
        }
        #expect(throws: MemoryError.invalidSizeString("1048577", reason: "not a whole number of 4 KiB pages")) {
            try MemorySize.parse("1048577")
        }
        #expect(throws: MemoryError.invalidSizeString("0", reason: "at least 1M of guest memory is needed")) {
            try MemorySize.parse("0")
        }
        #expect(throws: MemoryError.invalidSizeString("18446744073709551615K", reason: "too large")) {
            try MemorySize.parse("18446744073709551615K")
        }
    }
}

@Suite struct PCMemoryLayoutTests {
    @Test func smallRAMIsOneRange() {
        #expect(PCMemoryLayout.ramRanges(ramSize: 64 << 20) == [GuestRange(start: GuestAddress(0), size: 64 << 20)])
        #expect(PCMemoryLayout.ramRanges(ramSize: 0xC000_0000) == [
            GuestRange(start: GuestAddress(0), size: 0xC000_0000),
        ])
    }

    @Test func largeRAMContinuesAtFourGiB() {
        #expect(PCMemoryLayout.ramRanges(ramSize: 0xC000_1000) == [
            GuestRange(start: GuestAddress(0), size: 0xC000_0000),
            GuestRange(start: GuestAddress(0x1_0000_0000), size: 0x1000),
        ])
        #expect(PCMemoryLayout.ramRanges(ramSize: 8 << 30).map(\.size).reduce(0, +) == 8 << 30)
    }

    @Test func ramNeverOverlapsTheHole() {
        for size: UInt64 in [1 << 20, 3 << 30, 0xE000_0000, 1 << 40] {
            for range in PCMemoryLayout.ramRanges(ramSize: size) {
                #expect(!range.overlaps(PCMemoryLayout.mmioHole))
            }
        }
        #expect(PCMemoryLayout.mmioHole == GuestRange(start: GuestAddress(0xC000_0000), size: 0x4000_0000))
    }
}
