/// Everything the API can answer with a 400 and a `fault_message`.
///
/// Each case carries what was wrong, so the description (the fault message) names the
/// offending resource, field or value.
public enum APIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No route has this method and path.
    case invalidPath(method: String, path: String)
    /// The path exists, but not with this method.
    case methodNotAllowed(method: String, path: String, allowed: [String])
    /// A resource Firecracker has and swift-vmm does not implement.
    case unsupported(String)
    /// The request needs a JSON body and had none.
    case emptyBody(request: String)
    /// The body is not valid JSON for the resource, or has an unknown field.
    case invalidBody(request: String, reason: String)
    /// A field has a value outside what is allowed.
    case invalidValue(String)
    /// The id in the path and the id in the body differ.
    case idMismatch(field: String, path: String, body: String)
    /// The operation is only allowed after InstanceStart.
    case notAllowedBeforeBoot(operation: String)
    /// The operation is only allowed before InstanceStart.
    case notAllowedAfterBoot(operation: String)
    /// The operation is not allowed in the current state (reason says why).
    case invalidState(operation: String, reason: String)
    /// The request body is larger than the server's limit.
    case payloadTooLarge(size: Int, limit: Int)
    /// The machine driver failed to carry the operation out.
    case driverFailed(operation: String, reason: String)
    /// A `--config-file` could not be read or parsed.
    case configFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidPath(let method, let path):
            return "Invalid request method and/or path: \(method) \(path)."
        case .methodNotAllowed(let method, let path, let allowed):
            return "Invalid request method and/or path: \(method) \(path) (\(path) accepts \(allowed.joined(separator: ", ")))."
        case .unsupported(let what):
            return "swift-vmm does not support \(what)."
        case .emptyBody(let request):
            return "\(request): the request needs a JSON body and has none."
        case .invalidBody(let request, let reason):
            return "\(request): invalid JSON body: \(reason)"
        case .invalidValue(let message):
            return message
        case .idMismatch(let field, let path, let body):
            return "The id in the path (\(path)) does not match `\(field)` in the body (\(body))."
        case .notAllowedBeforeBoot(let operation):
            return "The requested operation (\(operation)) is not supported before starting the microVM."
        case .notAllowedAfterBoot(let operation):
            return "The requested operation (\(operation)) is not supported after starting the microVM."
        case .invalidState(let operation, let reason):
            return "\(operation) is not possible now: \(reason)."
        case .payloadTooLarge(let size, let limit):
            return "Request payload with size \(size) is larger than the limit of \(limit) allowed by server."
        case .driverFailed(let operation, let reason):
            return "\(operation) failed: \(reason)"
        case .configFile(let path, let reason):
            return "configuration file \(path): \(reason)"
        }
    }
}
