/// One `--cpu-features` item: add (`+name`) or remove (`-name`) a named feature.
public struct CPUFeatureEdit: Sendable, Hashable, CustomStringConvertible {
    public var feature: CPUFeature
    public var enabled: Bool

    public init(feature: CPUFeature, enabled: Bool) {
        self.feature = feature
        self.enabled = enabled
    }

    /// "+x2apic" or "-avx".
    public var description: String { (enabled ? "+" : "-") + feature.name }

    /// Parses a comma-separated list such as `-avx,-xsave,+x2apic` (a bare name
    /// adds). Empty items are ignored. Unknown names fail with suggestions.
    public static func parseList(_ text: String) throws(CPUIDPolicyError) -> [CPUFeatureEdit] {
        var edits: [CPUFeatureEdit] = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: true) {
            let item = raw.trimmingSpaces
            if item.isEmpty { continue }
            var name = Substring(item)
            var enabled = true
            if let sign = name.first, sign == "+" || sign == "-" {
                enabled = sign == "+"
                name = name.dropFirst()
            }
            let plainName = String(name).trimmingSpaces
            guard !plainName.isEmpty, plainName.allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) })
            else { throw .malformedFeatureItem(item) }
            guard let feature = CPUFeatureCatalog.feature(named: plainName) else {
                throw .unknownFeature(plainName, suggestions: CPUFeatureCatalog.suggestions(for: plainName))
            }
            edits.append(CPUFeatureEdit(feature: feature, enabled: enabled))
        }
        return edits
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
