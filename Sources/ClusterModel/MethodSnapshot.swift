/// How the calls of one method ended, kept apart as an operator tells them apart: the server's
/// own answers (success, an exception its IDL declares) from the failures (a
/// TApplicationException by type, a timeout, a transport failure, refused by the pool).
public struct MethodOutcomes: Sendable, Equatable, Codable {
    public var success = 0
    /// The server answered with an exception its IDL declares: an answer, not a failure.
    public var declaredException = 0
    /// TApplicationException, by type (`INTERNAL_ERROR`, `UNKNOWN_METHOD`…).
    public var applicationException: [String: Int] = [:]
    public var timeout = 0
    /// The connection failed (refused, reset, closed) or the reply could not be read.
    public var transport = 0
    /// Refused by the pool before any node: no routable node, every queue full.
    public var refused = 0
    /// Oneway calls: written, with nothing to wait for.
    public var sent = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case success, declaredException = "declared_exception", applicationException = "application_exception"
        case timeout, transport, refused, sent
    }

    /// Every call counted.
    public var total: Int { success + declaredException + applicationExceptions + timeout + transport + refused + sent }
    public var applicationExceptions: Int { applicationException.values.reduce(0, +) }
    /// The failures: every outcome but success, a declared exception and a oneway sent.
    public var failed: Int { applicationExceptions + timeout + transport + refused }
    /// The calls an error share is of: all but the oneway ones, which nothing answers.
    public var counted: Int { total - sent }
    /// Failed ÷ counted; 0 with no calls.
    public var errorRate: Double { counted > 0 ? Double(failed) / Double(counted) : 0 }

    public static func + (a: MethodOutcomes, b: MethodOutcomes) -> MethodOutcomes {
        var sum = a
        sum.success += b.success
        sum.declaredException += b.declaredException
        sum.applicationException.merge(b.applicationException, uniquingKeysWith: +)
        sum.timeout += b.timeout
        sum.transport += b.transport
        sum.refused += b.refused
        sum.sent += b.sent
        return sum
    }
}

/// One method on one node: its attempts there and how they ended.
public struct MethodNodeFigures: Sendable, Equatable, Codable {
    public var node: String
    public var outcomes: MethodOutcomes
    public var latencyP50: Double?
    public var latencyP99: Double?

    public init(node: String, outcomes: MethodOutcomes = MethodOutcomes(), latencyP50: Double? = nil, latencyP99: Double? = nil) {
        self.node = node
        self.outcomes = outcomes
        self.latencyP50 = latencyP50
        self.latencyP99 = latencyP99
    }

    enum CodingKeys: String, CodingKey { case node, outcomes, latencyP50 = "p50_ms", latencyP99 = "p99_ms" }
}

/// One method of the cluster (`Service:method` for a multiplexed call) at one moment: its calls
/// of the last 30–60 s across their attempts, how they ended, their latency and rate, and the
/// same per node (each attempt counts on the node it went to, so a node that times out a call
/// retried elsewhere shows it). `(other)` holds the calls of every method past
/// `[metrics] max_methods`. (`thrifttop_method_calls_total` keeps the counts since start.)
public struct MethodSnapshot: Sendable, Equatable, Codable, Identifiable {
    public var id: String { name }
    /// The methods past the cap are counted together under this name.
    public static let otherName = "(other)"

    public var name: String
    public var outcomes: MethodOutcomes
    /// Calls per second over the last few seconds.
    public var callsPerSecond: Double
    /// Over the last minute, across attempts; nil before any call was answered.
    public var latencyP50: Double?
    public var latencyP99: Double?
    /// Calls per second of each of the last seconds, oldest first (for a sparkline).
    public var recentRates: [Double]
    public var nodes: [MethodNodeFigures]

    public init(name: String, outcomes: MethodOutcomes = MethodOutcomes(), callsPerSecond: Double = 0, latencyP50: Double? = nil,
                latencyP99: Double? = nil, recentRates: [Double] = [], nodes: [MethodNodeFigures] = []) {
        self.name = name
        self.outcomes = outcomes
        self.callsPerSecond = callsPerSecond
        self.latencyP50 = latencyP50
        self.latencyP99 = latencyP99
        self.recentRates = recentRates
        self.nodes = nodes
    }

    enum CodingKeys: String, CodingKey {
        case name, outcomes, callsPerSecond = "calls_per_second", latencyP50 = "p50_ms", latencyP99 = "p99_ms"
        case recentRates = "recent_rates", nodes
    }
}
