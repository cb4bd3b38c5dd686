/// What the guest's CPUID should be, as a recipe applied to what KVM supports
/// (KVM_GET_SUPPORTED_CPUID), in this order:
///
/// 1. the hypervisor leaves: KVM's paravirtual bits cut to those swift-vmm
///    offers, swift-vmm's signature added (`HypervisorLeaves`);
/// 2. the template (`host`, `baseline`, `minimal`), which only removes;
/// 3. the named feature edits, in order (`-name` removes the feature and every
///    feature that requires it; `+name` needs KVM's support and its prerequisites);
///    leaf 0xD follows the XSAVE features removed;
/// 4. the raw edits, in order, verbatim (a raw edit may set a feature bit only
///    if KVM supports it).
///
/// Each vCPU then gets its own APIC ID (`CPUIDTable.withAPICID`).
public struct CPUIDPolicy: Sendable, Hashable {
    public var template: CPUTemplate
    public var features: [CPUFeatureEdit]
    public var edits: [CPUIDEdit]

    /// host: the default. A guest sees what KVM offers, as with QEMU's `-cpu host`
    /// and Firecracker without a template; a portable set is a choice.
    public init(template: CPUTemplate = .host, features: [CPUFeatureEdit] = [], edits: [CPUIDEdit] = []) {
        self.template = template
        self.features = features
        self.edits = edits
    }

    public func apply(to supported: CPUIDTable) throws(CPUIDPolicyError) -> CPUIDPolicyResult {
        var table = supported
        HypervisorLeaves.apply(to: &table)
        template.apply(to: &table)
        let cascaded = try applyFeatureEdits(to: &table, supported: supported)
        let catalog = CPUFeatureCatalog.features
        let off = Set(catalog.filter { !table.isSet($0.location, bit: $0.bit) }.map(\.name))
        let removed = template == .host ? off.filter { name in
            catalog.contains { $0.name == name && supported.isSet($0.location, bit: $0.bit) }
        } : off
        XSaveLeaf.trim(&table, removed: removed)
        try applyRawEdits(to: &table, supported: supported)
        let missing = (template.features ?? []).filter { name in
            guard let feature = CPUFeatureCatalog.feature(named: name) else { return false }
            return !supported.isSet(feature.location, bit: feature.bit)
        }
        return CPUIDPolicyResult(policy: self, supported: supported, table: table,
                                 missingTemplateFeatures: missing, cascadedRemovals: cascaded)
    }

    /// Applies `features`; returns the features removed because they require a removed one.
    func applyFeatureEdits(to table: inout CPUIDTable, supported: CPUIDTable) throws(CPUIDPolicyError) -> [String] {
        var added: [String] = []
        var removed = Set<String>()
        for edit in features {
            let feature = edit.feature
            if edit.enabled {
                try Self.checkCanAdd(feature, supported: supported)
                for place in feature.places where supported.isSet(place, bit: feature.bit) {
                    table.setBit(place, bit: feature.bit, to: true)
                }
                added.removeAll { $0 == feature.name }
                added.append(feature.name)
                removed.remove(feature.name)
            } else {
                for place in feature.places { table.setBit(place, bit: feature.bit, to: false) }
                removed.insert(feature.name)
                added.removeAll { $0 == feature.name }
            }
        }
        var cascaded: [String] = []
        var changed = !removed.isEmpty
        while changed {
            changed = false
            for feature in CPUFeatureCatalog.features where table.isSet(feature.location, bit: feature.bit)
                && !added.contains(feature.name) && feature.requires.contains(where: removed.contains) {
                for place in feature.places { table.setBit(place, bit: feature.bit, to: false) }
                removed.insert(feature.name)
                cascaded.append(feature.name)
                changed = true
            }
        }
        for name in added {
            guard let feature = CPUFeatureCatalog.feature(named: name) else { continue }
            for requirement in feature.requires {
                guard let needed = CPUFeatureCatalog.feature(named: requirement),
                      table.isSet(needed.location, bit: needed.bit) else {
                    throw .missingPrerequisite(feature: name, requires: requirement)
                }
            }
        }
        return cascaded
    }

    /// Whether `+feature` is allowed: KVM supports it and swift-vmm may offer it.
    static func checkCanAdd(_ feature: CPUFeature, supported: CPUIDTable) throws(CPUIDPolicyError) {
        switch feature.kind {
        case .osControlled: throw .osControlledFeature(feature)
        case .paravirtualUnavailable(let reason): throw .unavailableFeature(feature, reason: reason)
        case .processor, .paravirtual, .paravirtualOptIn: break
        }
        guard supported.isSet(feature.location, bit: feature.bit) else { throw .unsupportedFeature(feature) }
    }

    func applyRawEdits(to table: inout CPUIDTable, supported: CPUIDTable) throws(CPUIDPolicyError) {
        for (index, edit) in edits.enumerated() {
            let location = edit.location
            guard let old = table[location] else {
                throw .unknownLeaf(index: index, leaf: location.leaf, subleaf: location.subleaf)
            }
            let new = edit.applied(to: old)
            if CPUIDLocation.featureRegisters.contains(location) {
                let extra = new & ~old & ~Self.allowedBits(location, supported: supported)
                guard extra == 0 else { throw .unsupportedBits(index: index, location: location, bits: extra) }
            }
            table.set(location, to: new)
        }
    }

    /// The bits of a feature register an edit may turn on: KVM supports them, and
    /// they are neither OS-controlled nor paravirtual features swift-vmm cannot offer.
    static func allowedBits(_ location: CPUIDLocation, supported: CPUIDTable) -> UInt32 {
        let forbidden = CPUFeatureCatalog.features.filter { feature in
            guard feature.location == location else { return false }
            switch feature.kind {
            case .osControlled, .paravirtualUnavailable: return true
            case .processor, .paravirtual, .paravirtualOptIn: return false
            }
        }.reduce(UInt32(0)) { $0 | $1.mask }
        return (supported[location] ?? 0) & ~forbidden
    }
}
