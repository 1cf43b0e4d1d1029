/// One node as the operator rules see it: what the heartbeats say of it, and the operator's say.
/// Built by the pool (its own nodes), by the etcd authority (shared drains and weights over this
/// instance's health) and by the dashboard (from a snapshot), so all three decide alike.
public struct OperatorNodeView: Sendable, Equatable {
    public var name: String
    /// Connected and up or degraded as the heartbeats see it, whatever the operator's drain and
    /// weight: what makes it routable once it is in rotation.
    public var serving: Bool
    public var drained: Bool
    public var weight: Int
    public var configuredWeight: Int
    /// Outlier-ejected for failing calls.
    public var ejected: Bool
    /// Who made the node's last operator change: a refusal names who drained it.
    public var lastChange: OperatorChange?

    public init(name: String, serving: Bool, drained: Bool = false, weight: Int = 100, configuredWeight: Int? = nil,
                ejected: Bool = false, lastChange: OperatorChange? = nil) {
        self.name = name
        self.serving = serving
        self.drained = drained
        self.weight = weight
        self.configuredWeight = configuredWeight ?? weight
        self.ejected = ejected
        self.lastChange = lastChange
    }

    /// The operator has it in rotation: not drained, weight above 0. Only such nodes count in
    /// the panic computation.
    public var inRotation: Bool { OperatorRules.inRotation(drained: drained, weight: weight) }
    public var routable: Bool { OperatorRules.isRoutable(serving: serving, drained: drained, weight: weight, ejected: ejected) }
}

/// The settings the rules read: the capacity floor and the panic threshold.
public struct OperatorRuleSettings: Sendable, Equatable {
    public var minRoutable: Int
    public var panicThreshold: Double

    public init(minRoutable: Int, panicThreshold: Double) {
        self.minRoutable = minRoutable
        self.panicThreshold = panicThreshold
    }
}

/// What a command would do to the cluster: routable nodes and panic mode before and after, and
/// the node's expected share of new calls after.
public struct OperatorEffect: Sendable, Equatable {
    public var routableBefore: Int
    public var routableAfter: Int
    /// Nodes in rotation after (not drained, weight above 0): panic mode's denominator.
    public var inRotationAfter: Int
    public var panicBefore: Bool
    public var panicAfter: Bool
    /// Each node's expected share of new calls after the command: its weight over the routable
    /// nodes' weights, the command's node taken as routable if it is in rotation (a node down
    /// now gets that share once it is up). A node without one gets no new calls.
    public var sharesAfter: [String: Double]

    /// The command would start panic mode.
    public var startsPanic: Bool { panicAfter && !panicBefore }
}

/// What the rules decided.
public enum OperatorDecision: Sendable, Equatable {
    /// Allowed: the node's new operator state, and what it does to the cluster. `action` says what
    /// changes ("weight db-3 100 → 50").
    case change(node: String, drained: Bool, weight: Int, action: String, effect: OperatorEffect)
    /// Refused, with the reason as every place shows it.
    case refuse(String)
    /// Refused by the capacity floor: the same command forced would be allowed.
    case belowFloor(String)

    public var refusal: String? {
        switch self {
        case let .refuse(reason), let .belowFloor(reason): reason
        case .change: nil
        }
    }
}

/// The one set of operator rules: whether a drain, undrain or weight change is allowed against
/// the capacity floor, and what it does. Pure, so the dashboard's preview, the local authority
/// and the etcd authority decide every command alike (undo aside: an undo is the inverse of an
/// earlier command, decided here like any other).
///
/// Routable is one definition: up or degraded and connected (`serving`), not drained, weight
/// above 0, not ejected. A command that leaves fewer routable nodes than `min_routable` is
/// refused unless forced: a drain, and a weight of 0 alike.
public enum OperatorRules {
    @inlinable public static func inRotation(drained: Bool, weight: Int) -> Bool { !drained && weight > 0 }

    @inlinable public static func isRoutable(serving: Bool, drained: Bool, weight: Int, ejected: Bool) -> Bool {
        serving && inRotation(drained: drained, weight: weight) && !ejected
    }

    /// Panic mode: fewer routable nodes than `threshold` of those in rotation. Nodes the operator
    /// took out (drained, weight 0) count in neither.
    @inlinable public static func isPanic(routable: Int, inRotation: Int, threshold: Double) -> Bool {
        Double(routable) < threshold * Double(inRotation)
    }

    public static func decide(_ command: OperatorCommand, nodes: [OperatorNodeView], settings: OperatorRuleSettings) -> OperatorDecision {
        guard let name = command.node, let index = nodes.firstIndex(where: { $0.name == name }) else {
            let hint = command.node.flatMap { NameSuggestion.closest(to: $0, in: nodes.map(\.name)) }.map { " (did you mean \($0)?)" } ?? ""
            return .refuse("no node named \"\(command.node ?? "")\"\(hint)")
        }
        let node = nodes[index]
        var after = node
        var force = false
        let action: String
        switch command {
        case let .drain(_, forced):
            guard !node.drained else {
                let by = node.lastChange.map { " (by \(OperatorIdentity.acting($0.user, on: $0.instance)) at \(RFC3339.clock(fromUnixSeconds: $0.time)) UTC)" }
                return .refuse("\(name) is already drained" + (by ?? ""))
            }
            after.drained = true
            force = forced
            action = command.description
        case .undrain:
            guard node.drained else { return .refuse("\(name) is not drained") }
            after.drained = false
            action = command.description
        case let .setWeight(_, weight, forced):
            let range = OperatorCommand.weightRange
            guard range.contains(weight) else { return .refuse("weight must be from \(range.lowerBound) to \(range.upperBound) (got \(weight))") }
            guard weight != node.weight else { return .refuse("\(name) already has weight \(weight)") }
            after.weight = weight
            force = forced
            action = "weight \(name) \(node.weight) → \(weight)"
        case .resetWeight:
            guard node.weight != node.configuredWeight else { return .refuse("\(name) already has its configured weight \(node.configuredWeight)") }
            after.weight = node.configuredWeight
            action = "reset weight \(name) \(node.weight) → \(node.configuredWeight)"
        case .undo:
            return .refuse("undo is decided by the authority that keeps the history")
        }
        var changed = nodes
        changed[index] = after
        let effect = Self.effect(of: name, before: nodes, after: changed, settings: settings)
        // The floor holds what takes a node out of rotation; it counts the others.
        if node.routable && !after.routable && !force && effect.routableAfter < settings.minRoutable {
            let left = effect.routableAfter
            let what = after.drained ? "draining \(name)" : "weight 0 on \(name)"
            let override = after.drained ? ":drain \(name) force" : ":weight \(name) 0 force"
            return .belowFloor("\(what) would leave \(left) routable node\(left == 1 ? "" : "s"), fewer than min_routable \(settings.minRoutable) (\(override) overrides)")
        }
        return .change(node: name, drained: after.drained, weight: after.weight, action: action, effect: effect)
    }

    /// Routable counts and panic of two views of the same nodes, and the share of node `name`.
    static func effect(of name: String, before: [OperatorNodeView], after: [OperatorNodeView], settings: OperatorRuleSettings) -> OperatorEffect {
        func counts(_ nodes: [OperatorNodeView]) -> (routable: Int, inRotation: Int) {
            nodes.reduce((0, 0)) { ($0.0 + ($1.routable ? 1 : 0), $0.1 + ($1.inRotation ? 1 : 0)) }
        }
        let b = counts(before), a = counts(after)
        let taking = after.filter { $0.routable || ($0.name == name && $0.inRotation) }
        let total = taking.reduce(0) { $0 + $1.weight }
        var shares: [String: Double] = [:]
        if total > 0 {
            for node in taking { shares[node.name] = Double(node.weight) / Double(total) }
        }
        return OperatorEffect(routableBefore: b.routable, routableAfter: a.routable, inRotationAfter: a.inRotation,
                              panicBefore: isPanic(routable: b.routable, inRotation: b.inRotation, threshold: settings.panicThreshold),
                              panicAfter: isPanic(routable: a.routable, inRotation: a.inRotation, threshold: settings.panicThreshold),
                              sharesAfter: shares)
    }
}

extension ClusterSnapshot {
    /// Nodes routable now (the operator rules' definition: serving, in rotation, not ejected)
    /// and all nodes: the header's `routable N/M`.
    public var routableCount: (routable: Int, all: Int) {
        var routable = 0
        for node in nodes where node.routable { routable += 1 }
        return (routable, nodes.count)
    }
}
