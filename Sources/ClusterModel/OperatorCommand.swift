/// What an operator can ask of the pool (from the keyboard, the command line or an embedder).
public enum OperatorCommand: Sendable, Equatable, CustomStringConvertible {
    case drain(node: String, force: Bool = false)
    case undrain(node: String)
    /// Set the weight, within `weightRange`. A weight of 0 that would leave fewer routable nodes
    /// than `min_routable` is refused unless forced, as a drain is.
    case setWeight(node: String, weight: Int, force: Bool = false)
    /// Back to the configured weight.
    case resetWeight(node: String)
    /// Revert the last operator action that changed something.
    case undo

    /// The weights a node may have. Weight 0 takes no new calls without being a drain.
    public static let weightRange = 0...1000
    /// `weightRange` as the dashboard and the logs write it: "0–1000".
    public static let weightRangeText = "\(weightRange.lowerBound)–\(weightRange.upperBound)"

    public var description: String {
        switch self {
        case let .drain(node, force): force ? "drain \(node) (forced)" : "drain \(node)"
        case let .undrain(node): "undrain \(node)"
        case let .setWeight(node, weight, force): force ? "weight \(node) \(weight) (forced)" : "weight \(node) \(weight)"
        case let .resetWeight(node): "reset weight \(node)"
        case .undo: "undo"
        }
    }

    /// The same command past the capacity floor (a drain, a weight of 0); nil when the floor
    /// never refuses it, or it is forced already.
    public var forced: OperatorCommand? {
        switch self {
        case let .drain(node, false): .drain(node: node, force: true)
        case let .setWeight(node, 0, false): .setWeight(node: node, weight: 0, force: true)
        default: nil
        }
    }

    /// Forced past the capacity floor.
    public var isForced: Bool {
        switch self {
        case let .drain(_, force), let .setWeight(_, _, force): force
        default: false
        }
    }

    public var isDrain: Bool {
        if case .drain = self { return true }
        return false
    }

    /// Back to the configured weight.
    public var isReset: Bool {
        if case .resetWeight = self { return true }
        return false
    }

    public var node: String? {
        switch self {
        case let .drain(node, _), let .undrain(node), let .setWeight(node, _, _), let .resetWeight(node): node
        case .undo: nil
        }
    }
}

/// What became of an operator command.
public enum OperatorResult: Sendable, Equatable, CustomStringConvertible {
    case done(String)
    /// Refused with a reason (capacity floor, unknown node, out of range, nothing to undo…).
    case refused(String)

    public var description: String {
        switch self {
        case let .done(text): text
        case let .refused(reason): "refused: \(reason)"
        }
    }

    public var isDone: Bool {
        if case .done = self { return true }
        return false
    }
}

// JSON, the admin API's body (`POST /v1/commands`): `{"command": "drain", "node": "db-3", "force":
// false}`, `{"command": "weight", "node": "db-3", "weight": 50}`, `{"command": "reset_weight", …}`,
// `{"command": "undo"}`; results `{"outcome": "done" | "refused", "message": …}`.
extension OperatorCommand: Codable {
    enum CodingKeys: String, CodingKey { case command, node, force, weight }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let command = try c.decode(String.self, forKey: .command)
        switch command {
        case "drain": self = .drain(node: try c.decode(String.self, forKey: .node), force: try c.decodeIfPresent(Bool.self, forKey: .force) ?? false)
        case "undrain": self = .undrain(node: try c.decode(String.self, forKey: .node))
        case "weight": self = .setWeight(node: try c.decode(String.self, forKey: .node), weight: try c.decode(Int.self, forKey: .weight),
                                         force: try c.decodeIfPresent(Bool.self, forKey: .force) ?? false)
        case "reset_weight": self = .resetWeight(node: try c.decode(String.self, forKey: .node))
        case "undo": self = .undo
        default:
            throw DecodingError.dataCorruptedError(forKey: .command, in: c,
                debugDescription: "unknown command \"\(command)\" (drain, undrain, weight, reset_weight or undo)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .drain(node, force):
            try c.encode("drain", forKey: .command)
            try c.encode(node, forKey: .node)
            try c.encode(force, forKey: .force)
        case let .undrain(node):
            try c.encode("undrain", forKey: .command)
            try c.encode(node, forKey: .node)
        case let .setWeight(node, weight, force):
            try c.encode("weight", forKey: .command)
            try c.encode(node, forKey: .node)
            try c.encode(weight, forKey: .weight)
            if force { try c.encode(force, forKey: .force) }
        case let .resetWeight(node):
            try c.encode("reset_weight", forKey: .command)
            try c.encode(node, forKey: .node)
        case .undo:
            try c.encode("undo", forKey: .command)
        }
    }
}

extension OperatorResult: Codable {
    enum CodingKeys: String, CodingKey { case outcome, message }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let message = try c.decode(String.self, forKey: .message)
        switch try c.decode(String.self, forKey: .outcome) {
        case "done": self = .done(message)
        case "refused": self = .refused(message)
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .outcome, in: c, debugDescription: "unknown outcome \"\(other)\" (done or refused)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .done(message):
            try c.encode("done", forKey: .outcome)
            try c.encode(message, forKey: .message)
        case let .refused(reason):
            try c.encode("refused", forKey: .outcome)
            try c.encode(reason, forKey: .message)
        }
    }
}
