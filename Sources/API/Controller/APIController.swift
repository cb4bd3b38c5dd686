import Synchronization

/// An HTTP request as the controller sees it: method, path and body bytes.
public struct APIRequest: Sendable {
    public var method: String
    public var path: String
    public var body: [UInt8]

    public init(method: String, path: String, body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.body = body
    }
}

/// An answer: 200 with JSON, 204 with nothing, or 400 with `{"fault_message": ...}`.
public struct APIResponse: Equatable, Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8] = []) {
        self.status = status
        self.body = body
    }

    static let noContent = APIResponse(status: 204)

    static func json<T: Encodable>(_ value: T) -> APIResponse {
        APIResponse(status: 200, body: encodeJSON(value))
    }

    static func fault(_ error: APIError) -> APIResponse {
        APIResponse(status: 400, body: encodeJSON(Fault(faultMessage: error.description)))
    }
}

/// How the instance names itself in `GET /` and `GET /version`.
public struct InstanceIdentity: Sendable {
    public var id: String
    public var appName: String
    public var vmmVersion: String
    /// The Firecracker API version this server emulates (`GET /version`).
    public var firecrackerVersion: String

    public init(
        id: String = "anonymous-instance", appName: String = "swift-vmm", vmmVersion: String = "0.1.0",
        firecrackerVersion: String = "1.10.0"
    ) {
        self.id = id
        self.appName = appName
        self.vmmVersion = vmmVersion
        self.firecrackerVersion = firecrackerVersion
    }
}

/// Applies API requests to the pre-boot resources and the machine, with Firecracker's
/// rules for what is allowed before boot, after boot, and in which state.
///
/// Pure and synchronous: no sockets, testable directly. `handle` serializes requests (one
/// lock held across the driver call), so a slow driver call delays the next request,
/// as Firecracker's single API thread does.
public final class APIController: Sendable {
    /// The mutable state every request reads and changes.
    struct State: Sendable {
        var resources: VMResources
        var instance: InstanceState = .notStarted
        /// A boot-specific resource was configured: snapshot load is no longer allowed.
        var bootResourcesConfigured = false
        var loggerConfigured = false
        var metricsConfigured = false
    }

    let driver: any MachineDriver
    let identity: InstanceIdentity
    /// Per-route request and failure counters.
    public let metrics: APIRequestMetrics
    let state: Mutex<State>

    public init(
        driver: any MachineDriver, identity: InstanceIdentity = InstanceIdentity(),
        resources: VMResources = VMResources(), metrics: APIRequestMetrics = APIRequestMetrics()
    ) {
        self.driver = driver
        self.identity = identity
        self.metrics = metrics
        self.state = Mutex(State(resources: resources))
    }

    /// The instance's state (`Not started`, `Running`, `Paused`).
    public var instanceState: InstanceState { state.withLock { $0.instance } }

    /// The configuration accumulated so far (or restored from a snapshot).
    public var resources: VMResources { state.withLock { $0.resources } }

    /// Answers one request. Never throws: every failure is a 400 with a fault message.
    public func handle(_ request: APIRequest) -> APIResponse {
        switch Route.match(method: request.method, path: request.path) {
        case .notFound:
            metrics.record(APIRequestMetrics.invalidRequests, failed: true)
            return .fault(.invalidPath(method: request.method, path: request.path))
        case .wrongMethod(let allowed):
            metrics.record(APIRequestMetrics.invalidRequests, failed: true)
            return .fault(.methodNotAllowed(method: request.method, path: request.path, allowed: allowed))
        case .found(let match):
            let response: APIResponse
            do {
                response = try state.withLock { (state) throws(APIError) -> APIResponse in
                    try dispatch(match, request, &state)
                }
            } catch {
                response = .fault(error)
            }
            metrics.record(match.route.metricName, failed: response.status >= 400)
            return response
        }
    }

    /// Starts the VM from the configured resources, as `InstanceStart` does. For a VMM
    /// started with `--config-file`, which boots without an API request.
    public func startInstance() throws(APIError) {
        try state.withLock { (state) throws(APIError) in try start(&state) }
    }

    /// Writes a pending failure of a driver call as an `APIError`.
    func call<T>(_ operation: String, _ body: () throws -> T) throws(APIError) -> T {
        do {
            return try body()
        } catch let error as APIError {
            throw error
        } catch {
            throw .driverFailed(operation: operation, reason: String(describing: error))
        }
    }

    /// Decodes a request body as `T`.
    func body<T: Decodable>(_ type: T.Type, _ request: APIRequest) throws(APIError) -> T {
        let name = "\(request.method) \(request.path)"
        if request.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw .emptyBody(request: name)
        }
        do {
            return try decodeJSON(T.self, from: request.body)
        } catch {
            throw .invalidBody(request: name, reason: error.message)
        }
    }
}
