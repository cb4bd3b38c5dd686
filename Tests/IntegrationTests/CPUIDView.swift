import CPUModel

/// CPUID lines ("cpuid LLLLLLLL.S EAX EBX ECX EDX", hex) as cpuid.elf and
/// `vmm cpuid` print them, parsed back into entries.
struct CPUIDView {
    var entries: [CPUIDEntry] = []
    /// Lines that start with "cpuid " but do not parse.
    var malformed: [String] = []

    init(parsing text: String) {
        for line in text.split(separator: "\n") where line.hasPrefix("cpuid ") {
            let fields = line.split(separator: " ")
            let leafAndSubleaf = fields.count == 6 ? fields[1].split(separator: ".") : []
            guard leafAndSubleaf.count == 2,
                  let leaf = UInt32(leafAndSubleaf[0], radix: 16), let subleaf = UInt32(leafAndSubleaf[1]),
                  let eax = UInt32(fields[2], radix: 16), let ebx = UInt32(fields[3], radix: 16),
                  let ecx = UInt32(fields[4], radix: 16), let edx = UInt32(fields[5], radix: 16) else {
                malformed.append(String(line))
                continue
            }
            entries.append(CPUIDEntry(function: leaf, index: subleaf, eax: eax, ebx: ebx, ecx: ecx, edx: edx))
        }
    }

    func entry(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> CPUIDEntry? {
        entries.first { $0.function == leaf && $0.index == subleaf }
    }

    subscript(location: CPUIDLocation) -> UInt32? { entry(location.leaf, location.subleaf)?[location.register] }
}
