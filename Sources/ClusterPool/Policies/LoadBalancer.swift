/// What a balancer knows about a routable node when it picks one.
public struct BalancerNode: Sendable, Equatable {
    /// The node's index in the pool.
    public var index: Int
    /// 1…1000 (weight-0 nodes are never offered).
    public var weight: Int
    /// Calls in flight on the node.
    public var outstanding: Int
    /// Peak-EWMA latency in milliseconds (0 when unknown).
    public var cost: Double

    public init(index: Int, weight: Int, outstanding: Int = 0, cost: Double = 0) {
        self.index = index
        self.weight = weight
        self.outstanding = outstanding
        self.cost = cost
    }
}

/// Chooses the node for the next call among routable candidates. Implementations are small
/// policies chosen by config; each is testable alone with a seeded generator.
public protocol LoadBalancer: Sendable {
    /// The config name, e.g. `p2c-peak-ewma`.
    var name: String { get }
    /// The chosen candidate's `index`, or nil when `candidates` is empty.
    mutating func pick(_ candidates: [BalancerNode], using random: inout SeededGenerator) -> Int?
}

/// The balancing policies, by config name.
public enum BalancerKind: String, Sendable, CaseIterable, Codable {
    case smoothWeightedRoundRobin = "round-robin"
    case weightedRandom = "random"
    case leastOutstanding = "least-outstanding"
    case p2cPeakEWMA = "p2c-peak-ewma"

    public func make() -> any LoadBalancer {
        switch self {
        case .smoothWeightedRoundRobin: SmoothWeightedRoundRobin()
        case .weightedRandom: WeightedRandom()
        case .leastOutstanding: LeastOutstanding()
        case .p2cPeakEWMA: PowerOfTwoChoices()
        }
    }
}

/// nginx's smooth weighted round robin: weights 5,1,1 give a a b a c a a, not a a a a a b c.
public struct SmoothWeightedRoundRobin: LoadBalancer {
    public var name: String { BalancerKind.smoothWeightedRoundRobin.rawValue }
    private var current: [Int: Int] = [:]

    public init() {}

    public mutating func pick(_ candidates: [BalancerNode], using random: inout SeededGenerator) -> Int? {
        guard !candidates.isEmpty else { return nil }
        var total = 0
        var best: BalancerNode?
        var bestCurrent = Int.min
        for node in candidates {
            let value = current[node.index, default: 0] + node.weight
            current[node.index] = value
            total += node.weight
            if value > bestCurrent {
                bestCurrent = value
                best = node
            }
        }
        guard let chosen = best else { return nil }
        current[chosen.index, default: 0] -= total
        return chosen.index
    }
}

/// A weighted random draw: simple, stateless, shares converge to weights.
public struct WeightedRandom: LoadBalancer {
    public var name: String { BalancerKind.weightedRandom.rawValue }
    public init() {}

    public mutating func pick(_ candidates: [BalancerNode], using random: inout SeededGenerator) -> Int? {
        Self.draw(candidates, using: &random)?.index
    }

    static func draw(_ candidates: [BalancerNode], excluding: Int? = nil, using random: inout SeededGenerator) -> BalancerNode? {
        let total = candidates.reduce(0) { $0 + ($1.index == excluding ? 0 : $1.weight) }
        guard total > 0 else { return nil }
        var ticket = Int.random(in: 0..<total, using: &random)
        for node in candidates where node.index != excluding {
            if ticket < node.weight { return node }
            ticket -= node.weight
        }
        return nil
    }
}

/// Fewest calls in flight per unit of weight; ties broken at random so equal nodes share.
public struct LeastOutstanding: LoadBalancer {
    public var name: String { BalancerKind.leastOutstanding.rawValue }
    public init() {}

    public mutating func pick(_ candidates: [BalancerNode], using random: inout SeededGenerator) -> Int? {
        var best: [BalancerNode] = []
        var bestLoad = Double.infinity
        for node in candidates {
            let load = Double(node.outstanding + 1) / Double(node.weight)
            if load < bestLoad {
                bestLoad = load
                best = [node]
            } else if load == bestLoad {
                best.append(node)
            }
        }
        return best.randomElement(using: &random)?.index
    }
}

/// Power of two choices over peak-EWMA cost (Finagle's default): draw two nodes, send to the one
/// with the lower `cost × (outstanding + 1)`. Slow or busy nodes lose traffic quickly, without
/// the herd behaviour of always picking the global minimum.
///
/// Weights hold among equal nodes: the first node is drawn by weight, the second by weight among
/// the others, and the second wins only when it is clearly better (by `tieBand`). Equal nodes
/// then tie, the first is taken, and each gets exactly its weight share; measurement noise does
/// not skew shares. A slow node is never preferred over a fast one. (Dividing the score by weight
/// instead would make the heavier node win every tie and overshoot its weight.)
public struct PowerOfTwoChoices: LoadBalancer {
    public var name: String { BalancerKind.p2cPeakEWMA.rawValue }
    /// How much lower the second score must be to beat the first.
    public var tieBand: Double

    public init(tieBand: Double = 1.25) {
        self.tieBand = tieBand
    }

    public mutating func pick(_ candidates: [BalancerNode], using random: inout SeededGenerator) -> Int? {
        guard let first = WeightedRandom.draw(candidates, using: &random) else { return nil }
        guard let second = WeightedRandom.draw(candidates, excluding: first.index, using: &random) else { return first.index }
        return score(second) * tieBand < score(first) ? second.index : first.index
    }

    func score(_ node: BalancerNode) -> Double {
        // A floor on cost so unmeasured nodes are compared by load, not all tied at zero.
        max(node.cost, 0.001) * Double(node.outstanding + 1)
    }
}
