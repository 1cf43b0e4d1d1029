/// What an operator can ask of the pool (from the keyboard, the command line or an embedder).
public enum OperatorCommand: Sendable, Equatable, CustomStringConvertible {
    case drain(node: String, force: Bool = false)
    case undrain(node: String)
    /// Set the weight, 0…1000. Weight 0 means no new traffic, but is not a drain.
    case setWeight(node: String, weight: Int)
    /// Back to the configured weight.
    case resetWeight(node: String)
    /// Revert the last operator action that changed something.
    case undo

    public var description: String {
        switch self {
        case let .drain(node, force): force ? "drain \(node) (forced)" : "drain \(node)"
        case let .undrain(node): "undrain \(node)"
        case let .setWeight(node, weight): "weight \(node) \(weight)"
        case let .resetWeight(node): "reset weight \(node)"
        case .undo: "undo"
        }
    }

    public var node: String? {
        switch self {
        case let .drain(node, _), let .undrain(node), let .setWeight(node, _), let .resetWeight(node): node
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
