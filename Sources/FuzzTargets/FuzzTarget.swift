/// The fuzz targets: each takes any byte string and must return without crashing,
/// hanging or allocating without bound. Bad input is expected to end in a thrown
/// error inside the target, which the entry swallows.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Split virtqueues over guest memory built from the input, and the
    /// virtio-mmio register interface (`VirtqueueFuzzTarget`).
    case virtqueue
    /// `ImageLoader.detect` and `ImageLoader.load` into a small guest memory (`LoaderFuzzTarget`).
    case loader
    /// The snapshot state file and every `StateSaving` restore path (`SnapshotFuzzTarget`).
    case snapshot
    /// The REST API: HTTP parsing, routing, body decoding, the config file (`APIFuzzTarget`).
    case api

    /// Runs one input through the target. Returns how many units of work the input
    /// got accepted (chains served, images loaded, sections restored, requests
    /// answered with success), so tests can check that seeds reach past the checks.
    @discardableResult
    public func run(_ data: [UInt8]) -> Int {
        switch self {
        case .virtqueue: VirtqueueFuzzTarget.run(data)
        case .loader: LoaderFuzzTarget.run(data)
        case .snapshot: SnapshotFuzzTarget.run(data)
        case .api: APIFuzzTarget.run(data)
        }
    }

    /// Inputs built from real data (test guests, a device snapshot, API requests,
    /// valid rings), named, to start a corpus from. `guestImages` are files the
    /// loader seeds include as they are (e.g. the test guests built from Guests/).
    public func seeds(guestImages: [(name: String, bytes: [UInt8])] = []) -> [(name: String, bytes: [UInt8])] {
        switch self {
        case .virtqueue: return VirtqueueFuzzTarget.seeds()
        case .loader: return LoaderFuzzTarget.seeds(guestImages: guestImages)
        case .snapshot: return SnapshotFuzzTarget.seeds()
        case .api: return APIFuzzTarget.seeds()
        }
    }
}
