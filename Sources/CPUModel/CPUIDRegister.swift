/// One of the four registers CPUID returns.
public enum CPUIDRegister: String, Sendable, Hashable, CaseIterable, Comparable {
    case eax, ebx, ecx, edx

    public static func < (lhs: CPUIDRegister, rhs: CPUIDRegister) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}
