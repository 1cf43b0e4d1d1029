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
        /// This instance's view of the nodes; their drains and weights are replaced by the
        /// shared state's.
        public var nodes: [OperatorNodeView]
        public var settings: OperatorRuleSettings
        public var user: String
        public var instance: String
        public var time: Double
        public var reason: String?

        public init(view: SharedView, nodes: [OperatorNodeView], settings: OperatorRuleSettings, user: String, instance: String, time: Double, reason: String?) {
            self.view = view
            self.nodes = nodes
            self.settings = settings
            self.user = user
            self.instance = instance
            self.time = time
            self.reason = reason
        }

        /// The nodes with the shared state's drains and weights: what the rules decide on.
        public var sharedNodes: [OperatorNodeView] {
            nodes.map { node in
                var node = node
                let record = view.entries[node.name]?.record
                node.drained = record?.drained ?? false
                node.weight = record?.weight ?? node.configuredWeight
                node.lastChange = record?.state.change
                return node
            }
        }
    }

    /// Decided by `OperatorRules` (as the dashboard's preview and the local authority are);
    /// this adds what to write and on what condition. `command` is never `.undo`: the authority
    /// keeps the undo history and writes an undo's record itself (taking the inverse command's
    /// decision from here).
    public static func decide(_ command: OperatorCommand, _ context: Context) -> SharedDecision {
        let view = context.view
        let decision = OperatorRules.decide(command, nodes: context.sharedNodes, settings: context.settings)
        guard case let .change(name, drained, weight, action, _) = decision else {
            return .refuse(decision.refusal ?? "refused")
        }
        let current = view.entries[name]?.record
        let configured = context.nodes.first { $0.name == name }?.configuredWeight
        // Only this node's key must be as it was read: another node's change does not matter…
        let thisKey = EtcdCompare.modRevision(key: view.keys.node(name), equals: view.modRevision(of: name))
        // A weight equal to the configured one is the configured one (as the pool keeps it): a
        // later change of the config's weight applies to it.
        let record = SharedNodeRecord(drained: drained, weight: weight == configured ? nil : weight,
                                      change: OperatorChange(user: context.user, instance: context.instance, time: context.time, action: action,
                                                             reason: context.reason))
        // …but for what takes a node out of rotation the floor counts every node: none may have
        // changed since the read (unless forced past the floor).
        let wasInRotation = OperatorRules.inRotation(drained: current?.drained ?? false, weight: current?.weight ?? configured ?? weight)
        let leavesRotation = wasInRotation && !OperatorRules.inRotation(drained: drained, weight: weight)
        let compare = leavesRotation && !command.isForced ? [EtcdCompare.noneModifiedSince(prefix: view.keys.nodes, revision: view.revision)] : [thisKey]
        let done: String = switch command {
        case .drain: "drained \(name) on every instance"
        case .undrain: "undrained \(name) on every instance"
        case .resetWeight: "weight of \(name) \(current?.weight ?? weight) → \(weight) (configured) on every instance"
        default: "weight of \(name) \(current?.weight ?? configured ?? weight) → \(weight) on every instance" + (weight == 0 ? " (no new traffic; not drained)" : "")
        }
        return .write(node: name, record: record, compare: compare, done: done)
    }
}
