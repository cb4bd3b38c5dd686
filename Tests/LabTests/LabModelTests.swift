import Testing
@testable import Lab

/// The pure parts of `vmm lab`: tables, formatting, conversions, the page walker
/// and the two-dimensional walk model, smaps parsing, the catalog.
@Suite struct LabModelTests {
    @Test func tableColumnsAreAsWideAsTheirWidestCell() {
        let text = LabTable.render(headers: ["measure", "here"], rows: [["a", "123456789"], ["longer measure"]])
        #expect(text == """
            +----------------+-----------+
            | measure        | here      |
            +----------------+-----------+
            | a              | 123456789 |
            | longer measure |           |
            +----------------+-----------+
            """)
    }

    @Test func resultRendersTitleTableSectionsAndNotes() {
        var result = LabResult(name: "demo", question: "Why?", n: 7, rows: [LabRow("x", here: "1", seed: "2", ratio: "3")])
        result.sections = [LabSection(title: "steps", lines: ["one"])]
        result.notes = ["modelled"]
        let text = result.rendered()
        #expect(text.hasPrefix("== demo (n = 7)\nWhy?\n"))
        #expect(text.contains("| measure | here | seed's claim | ratio |"))
        #expect(text.contains("| x       | 1    | 2            | 3     |"))
        #expect(text.contains("steps\n  one"))
        #expect(text.hasSuffix("note: modelled"))
    }

    @Test func numbersAreFormattedForTables() {
        #expect(LabFormat.grouped(0) == "0")
        #expect(LabFormat.grouped(999) == "999")
        #expect(LabFormat.grouped(1000) == "1,000")
        #expect(LabFormat.grouped(1_234_567) == "1,234,567")
        #expect(LabFormat.fixed(3.14159, 2) == "3.14")
        #expect(LabFormat.fixed(2.995, 1) == "3.0")
        #expect(LabFormat.fixed(-1.25, 1) == "-1.3")
        #expect(LabFormat.fixed(12345.6, 0) == "12,346")
        #expect(LabFormat.fixed(.nan) == "n/a")
        #expect(LabFormat.duration(nanoseconds: 0.456) == "0.46 ns")
        #expect(LabFormat.duration(nanoseconds: 11.6) == "11.6 ns")
        #expect(LabFormat.duration(nanoseconds: 6480) == "6.48 µs")
        #expect(LabFormat.duration(nanoseconds: 41_000) == "41.0 µs")
        #expect(LabFormat.duration(nanoseconds: 2_500_000) == "2.50 ms")
        #expect(LabFormat.ratio(25.37) == "25.4x")
        #expect(LabFormat.ratio(512) == "512x")
        #expect(LabFormat.ratio(1.5) == "1.50x")
        #expect(LabFormat.hex(0x1000, width: 8) == "0x00001000")
    }

    @Test func tscCyclesConvertToNanoseconds() {
        let rate = TSCRate(kHz: 2_000_000)  // 2 GHz: 2 cycles per ns
        #expect(rate.nanoseconds(cycles: 2000) == 1000)
        #expect(rate.cycles(nanoseconds: 1000) == 2000)
        #expect(TSCRate(kHz: 2_596_128).nanoseconds(cycles: 2_596_128) == 1_000_000)
        #expect(TSCRate(kHz: 0).nanoseconds(cycles: 10).isNaN)
    }

    @Test func medianOfOddAndEvenCounts() {
        #expect(labMedian([3, 1, 2]) == 2)
        #expect(labMedian([4, 1, 3, 2]) == 2.5)
        #expect(labMedian([]).isNaN)
    }

    @Test func twoDimensionalWalkModel() {
        // (g + 1)(h + 1) - 1: 24 for 4-level tables on both sides.
        #expect(NestedWalkModel.references(guestLevels: 4, hostLevels: 4) == 24)
        #expect(NestedWalkModel.references(guestLevels: 4, hostLevels: 3) == 19)
        #expect(NestedWalkModel.references(guestLevels: 3, hostLevels: 4) == 19)
        #expect(NestedWalkModel.references(guestLevels: 3, hostLevels: 3) == 15)
        #expect(NestedWalkModel.references(guestLevels: 2, hostLevels: 2) == 8)
        #expect(NestedWalkModel.levels(pageSize: 4096) == 4)
        #expect(NestedWalkModel.levels(pageSize: 2 << 20) == 3)
        #expect(NestedWalkModel.levels(pageSize: 1 << 30) == 2)
        // Per address: uniform levels give the closed form; mixed ones sum up.
        #expect(NestedWalkModel.references(hostLevelsPerAddress: [4, 4, 4, 4, 4]) == 24)
        #expect(NestedWalkModel.references(hostLevelsPerAddress: [3, 3, 3, 3]) == 15)
        #expect(NestedWalkModel.references(hostLevelsPerAddress: [4, 3, 3, 3, 4]) == 5 + 4 + 4 + 4 + 4)
        #expect(NestedWalkModel.references(hostLevelsPerAddress: []) == 0)
    }

    /// Builds page tables in a dictionary "memory": PML4 at 0x1000, PDPT 0x2000, PD
    /// 0x3000 (entry 0 -> PT at 0x4000, entry 1 a 2 MiB page), PDPT entry 1 a 1 GiB page.
    static func tables() -> [UInt64: UInt64] {
        [
            0x1000: 0x2000 | 0x7,
            0x2000: 0x3000 | 0x7,
            0x2008: 0x4000_0000 | 0x80 | 0x3,           // PDPT[1]: 1 GiB page at 1 GiB
            0x3000: 0x4000 | 0x7,                        // PD[0] -> PT
            0x3008: 0x20_0000 | 0x80 | 0x67,             // PD[1]: 2 MiB page at 2 MiB, A D
            0x4000 + 5 * 8: 0x7_5000 | 0x8000_0000_0000_0001,  // PT[5]: 4 KiB page at 0x75000, NX
        ]
    }

    @Test func walksFourKilobyteTwoMegabyteAndOneGigabytePages() {
        let memory = Self.tables()
        let read: (UInt64) -> UInt64? = { memory[$0] ?? 0 }
        let small = PageWalker.walk(virtualAddress: 0x5123, cr3: 0x1000, read: read)
        #expect(small.steps.map(\.table) == ["PML4", "PDPT", "PD", "PT"])
        #expect(small.steps.map(\.entryAddress) == [0x1000, 0x2000, 0x3000, 0x4028])
        #expect(small.physicalAddress == 0x75123)
        #expect(small.pageSize == 4096)
        #expect(small.steps[3].flags == ["P", "NX"])
        #expect(small.translatedAddresses == [0x1000, 0x2000, 0x3000, 0x4028, 0x75123])

        let large = PageWalker.walk(virtualAddress: 0x23_4567, cr3: 0x1000, read: read)
        #expect(large.steps.count == 3)
        #expect(large.physicalAddress == 0x23_4567)
        #expect(large.pageSize == 2 << 20)
        #expect(large.steps[2].flags == ["P", "RW", "US", "A", "D", "PS"])

        let huge = PageWalker.walk(virtualAddress: 0x4123_4567, cr3: 0x1000, read: read)
        #expect(huge.steps.count == 2)
        #expect(huge.physicalAddress == 0x4123_4567)
        #expect(huge.pageSize == 1 << 30)
    }

    @Test func walkStopsAtANonPresentEntryOrOutsideRAM() {
        let memory = Self.tables()
        let missing = PageWalker.walk(virtualAddress: 0x6000, cr3: 0x1000) { memory[$0] ?? 0 }
        #expect(missing.physicalAddress == nil)
        #expect(missing.fault == "PT[6] is not present")
        #expect(missing.steps.count == 4)
        let outside = PageWalker.walk(virtualAddress: 0x5000, cr3: 0x9000) { memory[$0] }
        #expect(outside.steps.isEmpty)
        #expect(outside.fault == "PML4 entry at 0x9000 is not in guest RAM")
    }

    @Test func fiveLevelPagingStartsAtPML5() {
        var memory = Self.tables()
        memory[0x8000] = 0x1000 | 0x7  // PML5[0] -> the PML4 above
        let walk = PageWalker.walk(virtualAddress: 0x5000, cr3: 0x8000, fiveLevel: true) { memory[$0] ?? 0 }
        #expect(walk.steps.map(\.table) == ["PML5", "PML4", "PDPT", "PD", "PT"])
        #expect(walk.physicalAddress == 0x75000)
    }

    @Test func smapsHugePagesAreSummedOverOverlappingMappings() {
        let smaps = """
            00400000-00500000 r-xp 00000000 08:01 1 /bin/x
            AnonHugePages:         0 kB
            7f0000000000-7f0008000000 rw-p 00000000 00:00 0
            Rss:              131072 kB
            AnonHugePages:     69632 kB
            7f0008000000-7f0008200000 rw-p 00000000 00:00 0
            AnonHugePages:      2048 kB
            """
        #expect(HostPages.transparentHugeBytes(smaps: smaps, start: 0x7f00_0000_0000, length: 0x800_0000)
            == 69632 * 1024)
        #expect(HostPages.transparentHugeBytes(smaps: smaps, start: 0x7f00_0000_0000, length: 0x820_0000)
            == (69632 + 2048) * 1024)
        #expect(HostPages.transparentHugeBytes(smaps: smaps, start: 0x1000, length: 0x1000) == 0)
    }

    @Test func cpuinfoFieldsAndSysfsModes() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu hypervisor\n"
        #expect(LabHost.field("model name", in: cpuinfo) == "AMD EPYC")
        #expect(LabHost.field("flags", in: cpuinfo) == "fpu hypervisor")
        #expect(LabHost.field("cpu MHz", in: cpuinfo) == nil)
        #expect(LabHost.selectedMode("always [madvise] never\n") == "madvise")
        #expect(LabHost.selectedMode("none") == "unknown")
    }

    @Test func embeddedGuestDecodesToAnELF() {
        #expect(LabGuest.decodeHex("7f45 4c46\n0a") == [0x7F, 0x45, 0x4C, 0x46, 0x0A])
        #expect(Array(LabGuest.image.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46])
        #expect(LabGuest.image.count > 4096)
    }

    @Test func catalogListsEveryExperimentOfTheIssue() throws {
        let listing = LabCatalog.listing()
        for name in LabCatalog.order { #expect(listing.contains(name)) }
        for name in LabCatalog.planned.map(\.name) {
            #expect(listing.contains("| \(name)") && listing.split(separator: "\n").contains {
                $0.contains("| \(name) ") && $0.contains("not yet")
            })
            #expect(throws: LabError.self) { try LabCatalog.experiment(named: name) }
        }
        for name in LabCatalog.order {
            #expect(try LabCatalog.experiment(named: name).name == name)
        }
        do {
            _ = try LabCatalog.experiment(named: "nope")
            Issue.record("an unknown name was accepted")
        } catch {
            #expect(error.description.contains("no experiment 'nope'"))
        }
    }
}
