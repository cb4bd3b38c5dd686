/// The action of `PUT /actions`.
public enum ActionType: String, StringEnumeration {
    case instanceStart = "InstanceStart"
    case sendCtrlAltDel = "SendCtrlAltDel"
    case flushMetrics = "FlushMetrics"
}

/// A `PUT /actions` body.
public struct InstanceActionInfo: Codable, Equatable, Sendable {
    public var actionType: ActionType

    public init(actionType: ActionType) { self.actionType = actionType }

    enum CodingKeys: String, CodingKey, CaseIterable { case actionType = "action_type" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "InstanceActionInfo")
        actionType = try c.decode(ActionType.self, forKey: .actionType)
    }
}

/// The state `PATCH /vm` asks for.
public enum VMRequestedState: String, StringEnumeration {
    case paused = "Paused"
    case resumed = "Resumed"
}

/// A `PATCH /vm` body (Firecracker's `Vm`).
public struct VMStateRequest: Codable, Equatable, Sendable {
    public var state: VMRequestedState

    public init(state: VMRequestedState) { self.state = state }

    enum CodingKeys: String, CodingKey, CaseIterable { case state }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, object: "Vm")
        state = try c.decode(VMRequestedState.self, forKey: .state)
    }
}

/// The instance's state as `GET /` reports it.
public enum InstanceState: String, Codable, Equatable, Sendable {
    case notStarted = "Not started"
    case running = "Running"
    case paused = "Paused"
}

/// The `GET /` answer.
public struct InstanceInfo: Codable, Equatable, Sendable {
    public var id: String
    public var state: InstanceState
    public var vmmVersion: String
    public var appName: String

    public init(id: String, state: InstanceState, vmmVersion: String, appName: String) {
        self.id = id
        self.state = state
        self.vmmVersion = vmmVersion
        self.appName = appName
    }

    enum CodingKeys: String, CodingKey {
        case id, state, vmmVersion = "vmm_version", appName = "app_name"
    }
}

/// The `GET /version` answer.
public struct FirecrackerVersion: Codable, Equatable, Sendable {
    public var firecrackerVersion: String

    public init(firecrackerVersion: String) { self.firecrackerVersion = firecrackerVersion }

    enum CodingKeys: String, CodingKey { case firecrackerVersion = "firecracker_version" }
}

/// The body of every error answer.
struct Fault: Codable {
    var faultMessage: String
    enum CodingKeys: String, CodingKey { case faultMessage = "fault_message" }
}
