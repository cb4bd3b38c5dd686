import Loader

extension BootPlan {
    /// The plan of a machine restored from a snapshot: nothing was loaded, and the
    /// vCPUs' saved state, not a plan, says where they run.
    static let restoredFromSnapshot = BootPlan(
        format: .flat, mode: .real, instructionPointer: 0,
        codeSegment: Segment(selector: 0, base: 0, limit: 0xFFFF, type: 0xB, db: false, long: false, granularity: false),
        dataSegment: Segment(selector: 0, base: 0, limit: 0xFFFF, type: 0x3, db: false, long: false, granularity: false),
        gdt: nil, pageTableRoot: nil, registers: InitialRegisters(), imageRanges: [], structures: [])
}
