/// huge-pages: a TLB-hostile loop with guest RAM on 4 KiB host pages vs 2 MiB THP.
public struct HugePages: LabExperiment {
    public init() {}
    public let name = "huge-pages"
    public let summary = "a TLB-hostile pointer chase at CPL 3 with guest RAM on 4 KiB pages vs 2 MiB transparent huge pages"
    public let defaultN = 1_000_000

    /// The chased buffer: 64 MiB, one node per 4 KiB page (16,384 pages; 32 huge pages).
    public static let bufferSize: UInt64 = 64 << 20

    public func run(_ lab: LabContext) throws(LabError) -> LabResult {
        let n = lab.n
        let variants = [false, true]  // hugePages
        let runs = try lab.interleaved(variants) { (huge) throws(LabError) -> LabGuestRun in
            var request = LabGuestRequest(.chase, n: UInt64(n))
            request.address = LabMachine.buffer
            request.size = Self.bufferSize
            // RAM below the buffer, the buffer, its scratch array, and some room.
            request.memorySize = LabMachine.buffer + Self.bufferSize + (8 << 20)
            request.hugePages = huge
            request.measureHostPages = true
            return try LabGuest.run(request)
        }
        let pages4K = Self.bufferSize / 4096, pages2M = Self.bufferSize / (2 << 20)
        var result = LabResult(
            name: name,
            question: "How much does backing guest RAM with 2 MiB pages speed up a loop that touches a new "
                + "4 KiB page at every load? The guest chases pointers through \(LabFormat.grouped(pages4K)) pages of a "
                + "\(Self.bufferSize >> 20) MiB buffer in random order at CPL 3, mapped by 2 MiB guest pages; "
                + "only the host backing changes.",
            n: n)
        var nanoseconds: [Double] = []
        for (index, huge) in variants.enumerated() {
            let cycles = labMedian(runs[index].map(\.results.cyclesPerOperation))
            let time = lab.tsc.nanoseconds(cycles: cycles)
            nanoseconds.append(time)
            let key = huge ? "huge" : "small"
            let last = runs[index][runs[index].count - 1]
            result.figures["\(key).cyclesPerLoad"] = cycles
            result.figures["\(key).nanosecondsPerLoad"] = time
            result.counts["\(key).hostHugePageBytes"] = last.hostHugePageBytes ?? 0
            result.counts["\(key).userExits"] = last.report.totalExits
            let backing = last.hostHugePageBytes.map {
                "\(LabFormat.grouped($0 >> 20)) of \(LabFormat.grouped(last.guestRAMBytes >> 20)) MiB in THP"
            } ?? "THP unknown"
            result.rows.append(LabRow(huge ? "2 MiB THP backing: time per load" : "4 KiB backing: time per load",
                                      here: "\(LabFormat.duration(nanoseconds: time)) (\(LabFormat.fixed(cycles, 1)) cycles)",
                                      seed: "", ratio: huge ? "" : "1x"))
            result.rows.append(LabRow("  host backing (smaps)", here: backing))
        }
        let speedup = nanoseconds[0] / nanoseconds[1]
        result.figures["speedup"] = speedup
        result.rows[2].ratio = LabFormat.ratio(speedup) + " faster"
        result.rows.append(LabRow("TLB entries to cover the buffer (modelled)",
                                  here: "\(LabFormat.grouped(pages4K)) with 4 KiB, \(pages2M) with 2 MiB",
                                  seed: "512x fewer walks", ratio: LabFormat.ratio(Double(pages4K) / Double(pages2M))))
        result.rows.append(LabRow("time ratio measured", here: LabFormat.ratio(speedup),
                                  seed: "512x fewer page walks (a count, not a time)", ratio: ""))
        result.notes.append("The TLB entry count is modelled (one walk per TLB miss; the 4 KiB case misses at nearly every "
            + "load, since 16,384 pages exceed any TLB, while 32 huge pages fit): the time ratio is what a walk "
            + "costs against a load that hits, not 512.")
        if lab.host.nested {
            result.notes.append("DISTORTED here: this host is nested (\(lab.host.kvmModules.joined(separator: ", "))); "
                + "PVM has no EPT/NPT to use and runs the guest on shadow page tables, so a TLB miss costs a "
                + "one-dimensional walk of shadow tables, which can map 2 MiB only where guest and host both do, "
                + "under whatever the hypervisor below does. With VT-x/AMD-V the 4 KiB case would pay "
                + "two-dimensional walks (see page-walk): the ratio measured here is not that one.")
        }
        result.notes.append("Transparent huge pages are in '\(lab.host.transparentHugePages)' mode; the VMM asks for "
            + "them with madvise(MADV_HUGEPAGE) unless hugePages is off (vmm run --no-huge-pages); the backing "
            + "row shows what the kernel actually gave.")
        return result
    }
}
