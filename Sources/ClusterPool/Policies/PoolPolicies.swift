import NIOCore

// The pool's policies, each a small value behind a small protocol (as `LoadBalancer` is), fed
// times and a seeded generator by the pool, so each is tested alone on made-up times. They are
// composed from the config in one place, `PoolPolicies.make`.

/// Whether, and after how long, a failed call is tried again.
public protocol RetryRule: Sendable {
    var maxAttempts: Int { get }
    func isRetryable(_ failure: CallFailure, idempotent: Bool, attempt: Int) -> Bool
    func delay(afterAttempt attempt: Int, using random: inout some RandomNumberGenerator) -> TimeAmount
}

/// Caps retries to a share of calls, so an outage does not multiply the load on what is left.
public protocol RetryBudgetRule: Sendable {
    mutating func recordCall(at now: NIODeadline)
    /// Takes one retry from the budget; false when it is spent.
    mutating func tryWithdraw(at now: NIODeadline) -> Bool
}

/// How long to wait before connecting to a node again.
public protocol ReconnectRule: Sendable {
    mutating func nextDelay(using random: inout some RandomNumberGenerator) -> TimeAmount
    /// A connection succeeded: start from the shortest delay next time.
    mutating func reset()
}

/// Passive ejection: takes a node out of rotation after call failures, for a while.
public protocol EjectionRule: Sendable {
    func isEjected(_ node: Int, at now: NIODeadline) -> Bool
    func ejectedUntil(_ node: Int) -> NIODeadline?
    mutating func recordSuccess(_ node: Int)
    /// Returns the ejection's length when this failure ejects the node.
    mutating func recordFailure(_ node: Int, at now: NIODeadline) -> TimeAmount?
    /// The nodes were renumbered: `oldIndices[i]` is where node `i` was (nil: new).
    mutating func reindex(_ oldIndices: [Int?])
}

/// Notices that the pool itself stopped running for a while (its ticks came late), so the
/// silence of every node meanwhile is not held against them.
public protocol PauseRule: Sendable {
    /// Called every maintenance pass; returns the length of a pause that just ended.
    mutating func tick(at now: NIODeadline) -> TimeAmount?
    /// Whether the time since the last tick already looks like a pause.
    func isPaused(at now: NIODeadline) -> Bool
}

extension RetryPolicy: RetryRule {}
extension RetryBudget: RetryBudgetRule {}
extension ReconnectBackoff: ReconnectRule {}
extension OutlierEjector: EjectionRule {}
extension LocalPauseGuard: PauseRule {}

/// Every policy of one pool, made from its config.
struct PoolPolicies {
    var retry: any RetryRule
    var budget: any RetryBudgetRule
    var ejection: any EjectionRule
    var pause: any PauseRule
    var balancer: any LoadBalancer
    /// A new node's detector and reconnect backoff.
    var detector: @Sendable () -> NodeDetector
    var reconnect: @Sendable () -> any ReconnectRule

    /// The policies today's config keys choose. Throws a `PolicyError` naming a bad parameter.
    static func make(_ config: ClusterConfig, maintenanceInterval: TimeAmount) throws -> PoolPolicies {
        let health = config.health
        return PoolPolicies(
            retry: RetryPolicy(maxAttempts: config.retry.maxAttempts),
            budget: try RetryBudget(ttl: config.retry.budgetTTL, minRetriesPerSecond: config.retry.budgetMinPerSecond,
                                    percentCanRetry: config.retry.budgetPercent / 100),
            ejection: OutlierEjector(nodeCount: config.nodes.count, consecutiveFailures: config.outlier.consecutiveFailures,
                                     baseEjection: config.outlier.baseEjection, maxEjection: config.outlier.maxEjection,
                                     maxEjectedShare: config.outlier.maxEjectedPercent / 100),
            pause: LocalPauseGuard(expectedTick: maintenanceInterval),
            balancer: config.balancer.make(),
            detector: { NodeDetector.make(health) },
            reconnect: { ReconnectBackoff() })
    }
}
