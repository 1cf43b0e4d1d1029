/// The last operator change of a node: who made it, on which thrifttop instance, when and why.
/// With a shared store (etcd) it may come from another instance; the dashboard shows it so an
/// operator sees who drained a node before undraining it.
public struct OperatorChange: Sendable, Equatable {
    public var user: String
    public var instance: String
    /// Wall-clock seconds since 1970.
    public var time: Double
    /// What was done: "drain db-3", "weight db-3 100 → 50".
    public var action: String
    /// Why, when the operator said (`reason` in `POST /v1/commands`).
    public var reason: String?
    /// Made on this instance alone while the shared store was unreachable (`force_local`), and
    /// not yet written to it.
    public var localOnly: Bool

    public init(user: String, instance: String, time: Double, action: String, reason: String? = nil, localOnly: Bool = false) {
        self.user = user
        self.instance = instance
        self.time = time
        self.action = action
        self.reason = reason
        self.localOnly = localOnly
    }

    /// "alice on serve-a at 12:03:04 UTC: drain db-3 (deploy)".
    public var summary: String {
        return "\(OperatorIdentity.acting(user, on: instance)) at \(RFC3339.clock(fromUnixSeconds: time)) UTC: \(action)" + (reason.map { " (\($0))" } ?? "") + (localOnly ? " [here only]" : "")
    }
}

/// Where the operator state (drains, weights) is kept and whether this instance reaches it: the
/// dashboard's warning line and `GET /v1/snapshot`'s `state_store`.
public struct StateStoreStatus: Sendable, Equatable {
    /// "file" or "etcd".
    public var kind: String
    /// The endpoints and prefix (etcd), or the state file.
    public var location: String
    /// Since when the store cannot be reached (nil: it can). Operator actions are refused then,
    /// unless made here only on purpose (`force_local`).
    public var unreachableSince: Double?
    /// Why it cannot be reached, or what went wrong last.
    public var reason: String?
    /// Actions made here only while it was unreachable, to be written back when it returns.
    public var localPending: Int
    /// Calls are refused until the shared state has been read once (no local cache at start).
    public var routingHeld: Bool
    /// A standing remark: "started from the local cache written 12:03:04 UTC".
    public var notice: String?

    public init(kind: String, location: String, unreachableSince: Double? = nil, reason: String? = nil,
                localPending: Int = 0, routingHeld: Bool = false, notice: String? = nil) {
        self.kind = kind
        self.location = location
        self.unreachableSince = unreachableSince
        self.reason = reason
        self.localPending = localPending
        self.routingHeld = routingHeld
        self.notice = notice
    }

    /// How a refusal because the store is unreachable starts: the dashboard offers "here
    /// anyway" for such a refusal, whatever its snapshot says yet.
    public static let unreachableRefusalPrefix = "the state store is unreachable"

    /// The dashboard's warning: nil while all is well.
    public var warning: String? {
        var parts: [String] = []
        if let since = unreachableSince {
            parts.append("state store unreachable since \(RFC3339.clock(fromUnixSeconds: since)) UTC" + (reason.map { ": \($0)" } ?? "") + " — actions refused (force here only possible)")
        }
        if localPending > 0 { parts.append("\(localPending) action\(localPending == 1 ? "" : "s") made here only, to write back") }
        if routingHeld { parts.append("routing held until the shared state is read") }
        if let notice, !parts.isEmpty { parts.append(notice) }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}

/// An operator command as the admin API takes it: the command, whether to act on this instance
/// only while the shared store is unreachable (`force_local`), and an optional reason kept with
/// the change.
public struct OperatorRequest: Sendable, Equatable {
    public var command: OperatorCommand
    public var forceLocal: Bool
    public var reason: String?

    public init(_ command: OperatorCommand, forceLocal: Bool = false, reason: String? = nil) {
        self.command = command
        self.forceLocal = forceLocal
        self.reason = reason
    }
}

// JSON: the command's own fields plus `"force_local": true` and `"reason": "…"`.
extension OperatorRequest: Codable {
    enum CodingKeys: String, CodingKey { case forceLocal = "force_local", reason }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        command = try OperatorCommand(from: decoder)
        forceLocal = try c.decodeIfPresent(Bool.self, forKey: .forceLocal) ?? false
        reason = try c.decodeIfPresent(String.self, forKey: .reason).map(Self.clean)
    }

    public func encode(to encoder: any Encoder) throws {
        try command.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        if forceLocal { try c.encode(true, forKey: .forceLocal) }
        try c.encodeIfPresent(reason, forKey: .reason)
    }

    /// A reason is shown on every dashboard: printable, one line, at most 200 characters.
    public static func clean(_ text: String) -> String { TextSanitizer.clean(text, maximumLength: 200) }
}

extension OperatorChange: Codable {
    enum CodingKeys: String, CodingKey { case user, instance, time, action, reason, localOnly = "local_only" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(user: try c.decode(String.self, forKey: .user), instance: try c.decode(String.self, forKey: .instance),
                  time: try c.decodeTime(forKey: .time), action: try c.decode(String.self, forKey: .action),
                  reason: try c.decodeIfPresent(String.self, forKey: .reason),
                  localOnly: try c.decodeIfPresent(Bool.self, forKey: .localOnly) ?? false)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(user, forKey: .user)
        try c.encode(instance, forKey: .instance)
        try c.encodeTime(time, forKey: .time)
        try c.encode(action, forKey: .action)
        try c.encodeIfPresent(reason, forKey: .reason)
        if localOnly { try c.encode(true, forKey: .localOnly) }
    }
}

extension StateStoreStatus: Codable {
    enum CodingKeys: String, CodingKey {
        case kind, location, unreachableSince = "unreachable_since", reason, localPending = "local_pending", routingHeld = "routing_held", notice
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(kind: try c.decode(String.self, forKey: .kind), location: try c.decodeIfPresent(String.self, forKey: .location) ?? "",
                  unreachableSince: try c.decodeTimeIfPresent(forKey: .unreachableSince),
                  reason: try c.decodeIfPresent(String.self, forKey: .reason),
                  localPending: try c.decodeIfPresent(Int.self, forKey: .localPending) ?? 0,
                  routingHeld: try c.decodeIfPresent(Bool.self, forKey: .routingHeld) ?? false,
                  notice: try c.decodeIfPresent(String.self, forKey: .notice))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(location, forKey: .location)
        try c.encodeTimeIfPresent(unreachableSince, forKey: .unreachableSince)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encode(localPending, forKey: .localPending)
        try c.encode(routingHeld, forKey: .routingHeld)
        try c.encodeIfPresent(notice, forKey: .notice)
    }
}
