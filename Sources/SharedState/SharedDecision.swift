import ClusterModel
import ClusterPool
import EtcdClient

/// Decides one operator command against the shared state and this instance's view of the nodes:
/// what to write and on what condition, or why not. Pure, so the capacity floor's arithmetic is
/// tested alone; the store's transaction makes the condition hold (or the decision is made again
/// on a fresh read).
public enum SharedDecision: Equatable, Sendable {
    /// Put `record` at node `node`'s key if `compare` holds.
    case write(node: String, record: SharedNodeRecord, compare: [EtcdCompare], done: String)
    case refuse(String)

    public struct Context: Sendable {
        public var view: SharedView
        public var nodes: [NodeDecisionView]
        public var minRoutable: Int
        public var user: String
        public var instance: String
        public var time: Double
        public var reason: String?

        public init(view: SharedView, nodes: [NodeDecisionView], minRoutable: Int, user: String, instance: String, time: Double, reason: String?) {
            self.view = view
            self.nodes = nodes
            self.minRoutable = minRoutable
            self.user = user
            self.instance = instance
            self.time = time
            self.reason = reason
        }
    }

    /// `command` is never `.undo`: the authority keeps the undo history and writes an undo's
    /// record itself (taking a drain's floor and condition from here when the undo drains).
    public static func decide(_ command: OperatorCommand, _ context: Context) -> SharedDecision {
        let view = context.view
        guard let name = command.node, let node = context.nodes.first(where: { $0.name == name }) else {
            let hint = command.node.flatMap { NameSuggestion.closest(to: $0, in: context.nodes.map(\.name)) }.map { " (did you mean \($0)?)" } ?? ""
            return .refuse("no node named \"\(command.node ?? "")\"\(hint)")
        }
        let current = view.entries[name]?.record
        let drained = current?.drained ?? false
        let weight = current?.weight ?? node.configuredWeight
        // Only this node's key must be as it was read: another node's change does not matter…
        let thisKey = EtcdCompare.modRevision(key: view.keys.node(name), equals: view.modRevision(of: name))
        func record(drained: Bool, weight: Int?, action: String) -> SharedNodeRecord {
            SharedNodeRecord(drained: drained, weight: weight, change: OperatorChange(
                user: context.user, instance: context.instance, time: context.time, action: action, reason: context.reason))
        }
        switch command {
        case let .drain(_, force):
            guard !drained else { return .refuse("\(name) is already drained" + by(current)) }
            let left = context.nodes.filter { other in
                other.name != name && other.healthy && !(view.entries[other.name]?.record.drained ?? false)
                    && (view.entries[other.name]?.record.weight ?? other.configuredWeight) > 0
            }.count
            if left < context.minRoutable && !force {
                return .refuse("draining \(name) would leave \(left) routable node\(left == 1 ? "" : "s") in the shared state (as this instance sees them), fewer than min_routable \(context.minRoutable)")
            }
            // …but for a drain the floor counts every node: none may have changed since the read.
            let compare = force ? [thisKey] : [.noneModifiedSince(prefix: view.keys.nodes, revision: view.revision)]
            return .write(node: name, record: record(drained: true, weight: current?.weight, action: command.description), compare: compare,
                          done: "drained \(name) on every instance")
        case .undrain:
            guard drained else { return .refuse("\(name) is not drained") }
            return .write(node: name, record: record(drained: false, weight: current?.weight, action: command.description), compare: [thisKey],
                          done: "undrained \(name) on every instance")
        case let .setWeight(_, new):
            let range = OperatorCommand.weightRange
            guard range.contains(new) else { return .refuse("weight must be from \(range.lowerBound) to \(range.upperBound) (got \(new))") }
            guard new != weight else { return .refuse("\(name) already has weight \(new)") }
            return .write(node: name, record: record(drained: drained, weight: new, action: "weight \(name) \(weight) → \(new)"), compare: [thisKey],
                          done: "weight of \(name) \(weight) → \(new) on every instance" + (new == 0 ? " (no new traffic; not drained)" : ""))
        case .resetWeight:
            guard current?.weight != nil else { return .refuse("\(name) already has its configured weight \(node.configuredWeight)") }
            return .write(node: name, record: record(drained: drained, weight: nil, action: "reset weight \(name) \(weight) → \(node.configuredWeight)"),
                          compare: [thisKey], done: "weight of \(name) \(weight) → \(node.configuredWeight) (configured) on every instance")
        case .undo:
            preconditionFailure("the authority undoes; it never asks for an undo's decision")
        }
    }

    private static func by(_ record: SharedNodeRecord?) -> String {
        record.map { " (by \($0.user) on \($0.instance) at \($0.time))" } ?? ""
    }
}
