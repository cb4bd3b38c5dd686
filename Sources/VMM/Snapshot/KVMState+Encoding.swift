import CPUModel
import KVM
import Snapshot

/// The "vcpu.N" sections: a vCPU's KVM state, each kvm struct as length-prefixed
/// bytes whose size is checked against this build's struct on reading.
extension VCPUSavedState {
    static func sectionName(_ index: Int) -> String { "vcpu.\(index)" }
    /// The XSAVE area can grow with the CPU's features (AMX: 11 KiB); never this much.
    static let largestXSave = 1 << 20

    func encode(into writer: inout StateWriter) {
        writer.write(UInt32(cpuid.entries.count))
        for entry in cpuid.entries {
            for value in [entry.function, entry.index, entry.flags, entry.eax, entry.ebx, entry.ecx, entry.edx] {
                writer.write(value)
            }
        }
        writer.write(mpState)
        writer.write(bytes: registers)
        writer.write(bytes: specialRegisters)
        writer.write(fpuKind.rawValue)
        writer.write(bytes: fpu)
        writer.write(optional: xcrs) { $0.write(bytes: $1) }
        writer.write(optional: debugRegisters) { $0.write(bytes: $1) }
        writer.write(bytes: lapic)
        writer.write(UInt32(msrs.count))
        for msr in msrs {
            writer.write(msr.index)
            writer.write(msr.value)
        }
        writer.write(optional: events) { $0.write(bytes: $1) }
        writer.write(tscKHz)
    }

    static func decode(_ reader: inout StateReader) throws(SnapshotError) -> VCPUSavedState {
        let count = Int(try reader.readUInt32("cpuid entry count"))
        guard count <= 1024 else { throw .invalidValue(field: "\(reader.context).cpuid", reason: "\(count) entries") }
        var entries: [CPUIDEntry] = []
        for _ in 0..<count {
            var values: [UInt32] = []
            for field in ["function", "index", "flags", "eax", "ebx", "ecx", "edx"] {
                values.append(try reader.readUInt32("cpuid \(field)"))
            }
            entries.append(CPUIDEntry(function: values[0], index: values[1], flags: values[2], eax: values[3],
                                      ebx: values[4], ecx: values[5], edx: values[6]))
        }
        let mpState = try reader.readUInt32("mp state")
        let registers = try exact(&reader, "regs", KVMStateLayout.registers)
        let special = try exact(&reader, "sregs", KVMStateLayout.specialRegisters)
        let kindValue = try reader.read("fpu kind")
        guard let fpuKind = FPUStateKind(rawValue: kindValue) else {
            throw .invalidValue(field: "\(reader.context).fpu kind", reason: "unknown kind \(kindValue)")
        }
        let fpu: [UInt8]
        switch fpuKind {
        case .fpu: fpu = try exact(&reader, "fpu", KVMStateLayout.fpu)
        case .xsave:
            fpu = try reader.readBytes("xsave", maximumCount: largestXSave)
            guard fpu.count >= KVMStateLayout.xsave else {
                throw .invalidValue(field: "\(reader.context).xsave",
                                    reason: "\(fpu.count) bytes, less than the \(KVMStateLayout.xsave) of kvm_xsave")
            }
        }
        let xcrs = try reader.readOptional("xcrs") { (reader) throws(SnapshotError) in
            try exact(&reader, "xcrs", KVMStateLayout.xcrs)
        }
        let debug = try reader.readOptional("debugregs") { (reader) throws(SnapshotError) in
            try exact(&reader, "debugregs", KVMStateLayout.debugRegisters)
        }
        let lapic = try exact(&reader, "lapic", KVMStateLayout.lapic)
        let msrCount = Int(try reader.readUInt32("msr count"))
        guard msrCount <= 4096 else { throw .invalidValue(field: "\(reader.context).msrs", reason: "\(msrCount) MSRs") }
        var msrs: [MSRValue] = []
        for _ in 0..<msrCount {
            msrs.append(MSRValue(index: try reader.readUInt32("msr index"), value: try reader.readUInt64("msr value")))
        }
        let events = try reader.readOptional("events") { (reader) throws(SnapshotError) in
            try exact(&reader, "events", KVMStateLayout.events)
        }
        let tscKHz = try reader.readUInt64("tsc khz")
        try reader.finish()
        return VCPUSavedState(cpuid: CPUIDTable(entries: entries), mpState: mpState, registers: registers,
                              specialRegisters: special, fpuKind: fpuKind, fpu: fpu, xcrs: xcrs,
                              debugRegisters: debug, lapic: lapic, msrs: msrs, events: events, tscKHz: tscKHz)
    }
}

extension VMSavedState {
    static let sectionName = "vm"

    func encode(into writer: inout StateWriter) {
        for chip in [picMaster, picSlave, ioapic, pit, clock] { writer.write(bytes: chip) }
    }

    static func decode(_ reader: inout StateReader) throws(SnapshotError) -> VMSavedState {
        let state = VMSavedState(picMaster: try exact(&reader, "pic master", KVMStateLayout.irqchip),
                                 picSlave: try exact(&reader, "pic slave", KVMStateLayout.irqchip),
                                 ioapic: try exact(&reader, "ioapic", KVMStateLayout.irqchip),
                                 pit: try exact(&reader, "pit", KVMStateLayout.pit),
                                 clock: try exact(&reader, "clock", KVMStateLayout.clock))
        try reader.finish()
        return state
    }
}

/// A length-prefixed kvm struct that must be exactly `size` bytes (this build's).
func exact(_ reader: inout StateReader, _ field: String, _ size: Int) throws(SnapshotError) -> [UInt8] {
    let bytes = try reader.readBytes(field, maximumCount: 1 << 20)
    guard bytes.count == size else {
        throw .invalidValue(field: "\(reader.context).\(field)",
                            reason: "\(bytes.count) bytes, but this build's kvm struct has \(size)")
    }
    return bytes
}
