import Memory
import Testing

@Suite struct GuestMemoryTests {
    static let size: UInt64 = 2 << 20

    static func memory() throws -> GuestMemory {
        try GuestMemory(ranges: [GuestRange(start: GuestAddress(0), size: size)], hugePages: false)
    }

    @Test func containsInsideAndAtEdges() throws {
        let memory = try Self.memory()
        #expect(memory.contains(GuestAddress(0), length: Self.size))
        #expect(memory.contains(GuestAddress(0x1000), length: 16))
        #expect(memory.contains(GuestAddress(Self.size - 1), length: 1))
        #expect(!memory.contains(GuestAddress(Self.size - 1), length: 2))  // straddles the end
        #expect(!memory.contains(GuestAddress(0), length: Self.size + 1))
        #expect(!memory.contains(GuestAddress(Self.size), length: 1))
    }

    @Test func zeroLengthAtTheEndIsInside() throws {
        let memory = try Self.memory()
        #expect(memory.contains(GuestAddress(Self.size), length: 0))
        #expect(try memory.read(at: GuestAddress(Self.size), count: 0) == [])
        #expect(!memory.contains(GuestAddress(Self.size + 1), length: 0))
    }

    @Test func addressPlusLengthNearTwoToThe64() throws {
        let memory = try Self.memory()
        #expect(!memory.contains(GuestAddress(UInt64.max - 4), length: 16))
        #expect(!memory.contains(GuestAddress(0x1000), length: UInt64.max))
        #expect(!memory.contains(GuestAddress(UInt64.max), length: UInt64.max))
        #expect(throws: MemoryError.outOfBounds(address: GuestAddress(0x10), length: UInt64.max)) {
            try memory.buffer(at: GuestAddress(0x10), length: UInt64.max)
        }
    }

    @Test func readWriteRoundTrip() throws {
        let memory = try Self.memory()
        try memory.write([1, 2, 3, 4], at: GuestAddress(0x100))
        #expect(try memory.read(at: GuestAddress(0xFF), count: 6) == [0, 1, 2, 3, 4, 0])
        try memory.store(UInt32(0xDEAD_BEEF), at: GuestAddress(0x201))
        #expect(try memory.read(at: GuestAddress(0x201), count: 4) == [0xEF, 0xBE, 0xAD, 0xDE])
        #expect(try memory.load(UInt32.self, at: GuestAddress(0x201)) == 0xDEAD_BEEF)
        try memory.zero(at: GuestAddress(0x100), length: 2)
        #expect(try memory.read(at: GuestAddress(0x100), count: 4) == [0, 0, 3, 4])
    }

    @Test func outOfBoundsAccessThrowsAndWritesNothing() throws {
        let memory = try Self.memory()
        let end = GuestAddress(Self.size - 2)
        #expect(throws: MemoryError.outOfBounds(address: end, length: 4)) {
            try memory.write([9, 9, 9, 9], at: end)
        }
        #expect(try memory.read(at: end, count: 2) == [0, 0])
        #expect(throws: MemoryError.outOfBounds(address: end, length: 8)) {
            try memory.store(UInt64.max, at: end)
        }
        #expect(throws: MemoryError.self) { try memory.load(UInt32.self, at: end) }
        #expect(throws: MemoryError.self) { try memory.zero(at: end, length: 3) }
    }

    @Test func secondRegionAboveFourGiB() throws {
        // 3.5 GiB: MAP_NORESERVE makes this cheap; only touched pages are backed.
        let memory = try GuestMemory(pcRAMSize: 0xE000_0000, hugePages: false)
        #expect(memory.regions.map(\.range) == [
            GuestRange(start: GuestAddress(0), size: 0xC000_0000),
            GuestRange(start: GuestAddress(0x1_0000_0000), size: 0x2000_0000),
        ])
        #expect(memory.size == 0xE000_0000)
        try memory.store(UInt64(0x1122_3344_5566_7788), at: GuestAddress(0x1_0000_0000))
        #expect(try memory.load(UInt64.self, at: GuestAddress(0x1_0000_0000)) == 0x1122_3344_5566_7788)
        try memory.store(UInt8(7), at: GuestAddress(0x1_1FFF_FFFF))
        #expect(memory.contains(GuestAddress(0xBFFF_FFF8), length: 8))
        #expect(!memory.contains(GuestAddress(0xBFFF_FFF8), length: 16))  // runs into the MMIO hole
        #expect(!memory.contains(GuestAddress(0xC000_0000), length: 1))
        #expect(!memory.contains(GuestAddress(0xFFFF_FFFF), length: 2))  // hole into RAM: two regions
        #expect(!memory.contains(GuestAddress(0x1_2000_0000), length: 1))
        #expect(throws: MemoryError.self) { try memory.load(UInt8.self, at: GuestAddress(0xD000_0000)) }
    }

    @Test func invalidRanges() {
        #expect(throws: MemoryError.self) {
            try GuestMemory(ranges: [GuestRange(start: GuestAddress(0), size: 0x1800)], hugePages: false)
        }
        #expect(throws: MemoryError.self) {
            try GuestMemory(ranges: [GuestRange(start: GuestAddress(0), size: 0)], hugePages: false)
        }
        #expect(throws: MemoryError.self) {
            try GuestMemory(ranges: [GuestRange(start: GuestAddress(0), size: 0x2000),
                                     GuestRange(start: GuestAddress(0x1000), size: 0x2000)], hugePages: false)
        }
    }

    @Test func hugePageRegionIsAligned() throws {
        let memory = try GuestMemory(pcRAMSize: 4 << 20, hugePages: true)
        let host = UInt(bitPattern: memory.regions[0].host)
        #expect(host % UInt(GuestMemoryRegion.hugePageSize) == 0)
    }
}

@Suite struct GuestRangeTests {
    @Test func containsAndOverlaps() {
        let range = GuestRange(start: GuestAddress(0x1000), size: 0x1000)
        #expect(range.contains(GuestAddress(0x1000)))
        #expect(range.contains(GuestAddress(0x1FFF)))
        #expect(!range.contains(GuestAddress(0x2000)))
        #expect(!range.contains(GuestAddress(0xFFF)))
        #expect(range.overlaps(GuestRange(start: GuestAddress(0x1FFF), size: 1)))
        #expect(!range.overlaps(GuestRange(start: GuestAddress(0x2000), size: 0x1000)))
        #expect(!range.overlaps(GuestRange(start: GuestAddress(0x1800), size: 0)))
        #expect(range.description == "[0x1000, 0x2000)")
    }

    @Test func rangeEndingAtTwoToThe64() {
        let top = GuestRange(start: GuestAddress(UInt64.max - 0xFFF), size: 0x1000)
        #expect(top.contains(GuestAddress(UInt64.max)))
        #expect(top.overlaps(GuestRange(start: GuestAddress(UInt64.max), size: 1)))
        #expect(GuestAddress(UInt64.max).adding(1) == nil)
        #expect(GuestAddress(1).adding(2) == GuestAddress(3))
    }
}

@Suite struct DirtyPageTrackingTests {
    @Test func writesMarkPagesAndReadsDoNot() throws {
        let memory = try GuestMemory(pcRAMSize: 4 << 20, hugePages: false, trackDirtyPages: true)
        let pages = try #require(memory.dirtyPages)
        try memory.write([1, 2, 3], at: GuestAddress(0x1FFF))  // pages 1 and 2
        try memory.store(UInt32(7), at: GuestAddress(0x10_0000))  // page 256
        _ = try memory.read(at: GuestAddress(0x30_0000), count: 64)
        _ = try memory.load(UInt64.self, at: GuestAddress(0x30_1000))
        let words = pages.take()
        #expect(words[0] == 0b110)
        #expect(words[4] == 1)
        #expect(words.enumerated().allSatisfy { $0.offset == 0 || $0.offset == 4 || $0.element == 0 })
        #expect(pages.take().allSatisfy { $0 == 0 }, "take clears")
    }

    @Test func offWhenNotAsked() throws {
        let memory = try GuestMemory(pcRAMSize: 4 << 20, hugePages: false)
        #expect(memory.dirtyPages == nil)
    }
}
