/// A full snapshot, or only the memory dirtied since the last one.
public enum SnapshotType: String, StringEnumeration {
    case full = "Full"
    case diff = "Diff"
}

/// A `PUT /snapshot/create` body.
public struct SnapshotCreateParams: Codable, Equatable, Sendable {
    public var snapshotType: SnapshotType?
    public var snapshotPath: String
    public var memFilePath: String
    /// The snapshot format version older Firecracker clients send; passed to the driver.
    public var version: String?

    public init(snapshotType: SnapshotType? = nil, snapshotPath: String, memFilePath: String, version: String? = nil) {
        self.snapshotType = snapshotType
        self.snapshotPath = snapshotPath
        self.memFilePath = memFilePath
        self.version = version
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case snapshotType = "snapshot_type", snapshotPath = "snapshot_path", memFilePath = "mem_file_path", version
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "SnapshotCreateParams")
        snapshotType = try c.decodeIfPresent(SnapshotType.self, forKey: .snapshotType)
        snapshotPath = try c.decode(String.self, forKey: .snapshotPath)
        memFilePath = try c.decode(String.self, forKey: .memFilePath)
        version = try c.decodeIfPresent(String.self, forKey: .version)
    }

    func validate() throws(APIError) {
        try requirePath(snapshotPath, "snapshot_path")
        try requirePath(memFilePath, "mem_file_path")
    }
}

/// How restored guest memory is provided.
public enum MemoryBackendType: String, StringEnumeration {
    case file = "File"
    case uffd = "Uffd"
}

/// `mem_backend` of a snapshot load.
public struct MemoryBackend: Codable, Equatable, Sendable {
    public var backendPath: String
    public var backendType: MemoryBackendType

    public init(backendPath: String, backendType: MemoryBackendType) {
        self.backendPath = backendPath
        self.backendType = backendType
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case backendPath = "backend_path", backendType = "backend_type"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "MemoryBackend")
        backendPath = try c.decode(String.self, forKey: .backendPath)
        backendType = try c.decode(MemoryBackendType.self, forKey: .backendType)
    }
}

/// A TAP device to use instead of the one saved in the snapshot.
public struct NetworkOverride: Codable, Equatable, Sendable {
    public var ifaceID: String
    public var hostDevName: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ifaceID = "iface_id", hostDevName = "host_dev_name"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "NetworkOverride")
        ifaceID = try c.decode(String.self, forKey: .ifaceID)
        hostDevName = try c.decode(String.self, forKey: .hostDevName)
    }
}

/// A `PUT /snapshot/load` body. Exactly one of `mem_file_path` and `mem_backend` is given.
public struct SnapshotLoadParams: Codable, Equatable, Sendable {
    public var snapshotPath: String
    /// Deprecated form of `mem_backend` with type `File`.
    public var memFilePath: String?
    public var memBackend: MemoryBackend?
    public var enableDiffSnapshots: Bool?
    public var trackDirtyPages: Bool?
    public var resumeVM: Bool?

    public init(
        snapshotPath: String, memFilePath: String? = nil, memBackend: MemoryBackend? = nil,
        enableDiffSnapshots: Bool? = nil, trackDirtyPages: Bool? = nil, resumeVM: Bool? = nil
    ) {
        self.snapshotPath = snapshotPath
        self.memFilePath = memFilePath
        self.memBackend = memBackend
        self.enableDiffSnapshots = enableDiffSnapshots
        self.trackDirtyPages = trackDirtyPages
        self.resumeVM = resumeVM
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case snapshotPath = "snapshot_path", memFilePath = "mem_file_path", memBackend = "mem_backend"
        case enableDiffSnapshots = "enable_diff_snapshots", trackDirtyPages = "track_dirty_pages"
        case resumeVM = "resume_vm", networkOverrides = "network_overrides"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "SnapshotLoadParams")
        snapshotPath = try c.decode(String.self, forKey: .snapshotPath)
        memFilePath = try c.decodeIfPresent(String.self, forKey: .memFilePath)
        memBackend = try c.decodeIfPresent(MemoryBackend.self, forKey: .memBackend)
        enableDiffSnapshots = try c.decodeIfPresent(Bool.self, forKey: .enableDiffSnapshots)
        trackDirtyPages = try c.decodeIfPresent(Bool.self, forKey: .trackDirtyPages)
        resumeVM = try c.decodeIfPresent(Bool.self, forKey: .resumeVM)
        if let overrides = try c.decodeIfPresent([NetworkOverride].self, forKey: .networkOverrides),
            !overrides.isEmpty
        {
            throw decoder.invalid("swift-vmm does not support `network_overrides` on snapshot load")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(snapshotPath, forKey: .snapshotPath)
        try c.encodeIfPresent(memFilePath, forKey: .memFilePath)
        try c.encodeIfPresent(memBackend, forKey: .memBackend)
        try c.encodeIfPresent(enableDiffSnapshots, forKey: .enableDiffSnapshots)
        try c.encodeIfPresent(trackDirtyPages, forKey: .trackDirtyPages)
        try c.encodeIfPresent(resumeVM, forKey: .resumeVM)
    }

    /// The memory file to read: `mem_file_path`, or `mem_backend` of type `File`.
    public var memoryFilePath: String? {
        memFilePath ?? memBackend.flatMap { $0.backendType == .file ? $0.backendPath : nil }
    }

    func validate() throws(APIError) {
        try requirePath(snapshotPath, "snapshot_path")
        switch (memFilePath, memBackend) {
        case (nil, nil):
            throw .invalidValue("Snapshot load needs one of `mem_file_path` and `mem_backend`; it has neither.")
        case (.some, .some):
            throw .invalidValue("Snapshot load takes only one of `mem_file_path` and `mem_backend`; it has both.")
        case (let path?, nil):
            try requirePath(path, "mem_file_path")
        case (nil, let backend?):
            if backend.backendType == .uffd {
                throw .unsupported("the Uffd memory backend for snapshot load; use backend_type File")
            }
            try requirePath(backend.backendPath, "mem_backend.backend_path")
        }
    }
}
