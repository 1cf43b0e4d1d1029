import ClusterModel
import Foundation
import Testing
@testable import DashboardKit

/// A fixed, hand-made cluster for screen tests: nine nodes, one of every health (plus a drained
/// node that still has calls in flight and one that has none), events of every severity.
/// Nothing here depends on a clock or a random source.
enum Fixture {
    /// 2026-11-21 12:34:56 UTC.
    static let wallTime = 1_795_264_496.0

    static func node(
        _ name: String, _ health: NodeHealth, p50: Double? = 1.2, p99: Double? = 4.8, share: Double = 0,
        weight: Int = 100, inFlight: Int = 0, availability: Double = 1, error: String? = nil,
        fb: String? = "ALIVE", routable: Bool? = nil
    ) -> NodeSnapshot {
        var n = NodeSnapshot(name: name, address: "10.0.0.\(name.last!.wholeNumberValue ?? 0):9090", health: health)
        n.fbStatus = fb
        // Answered a second ago, or (down) its last answer is a minute old.
        n.fbStatusAt = fb.map { _ in wallTime - (health == .down ? 60 : 1) }
        n.connected = health != .down
        // Up underneath for a drained node: routable again once undrained.
        n.serving = health == .up || health == .degraded || health == .draining
        n.routable = routable ?? (health == .up || health == .degraded)
        n.latencyP50 = p50
        n.latencyP90 = p50.map { $0 * 2 }
        n.latencyP99 = p99
        n.latencyMax = p99.map { $0 * 2 }
        n.latencyEWMA = p50
        n.recentLatencies = p50 == nil ? [] : [1, 1, 2, 1, 3, 8, 2, 1, 1, 2, 1, 1]
        n.heartbeatsOK = 1200
        n.heartbeatsFailed = health == .down ? 14 : 0
        n.calls = 5000
        n.retries = health == .suspect ? 7 : 0
        n.inFlight = inFlight
        n.weight = weight
        n.trafficShare = share
        n.availability = availability
        n.clusterAvailabilityIfDrained = 0.99998
        n.lastError = error
        n.lastErrorAt = error.map { _ in wallTime - 30 }
        return n
    }

    static var nodes: [NodeSnapshot] {
        var alpha = node("alpha-1", .up, p50: 1.1, p99: 4.2, share: 0.25, inFlight: 2)
        alpha.serverName = "demo-alpha"
        alpha.serverVersion = "1.4.2"
        alpha.aliveSince = Int64(wallTime) - 11_520  // 3h 12m
        alpha.statusDetails = "serving"
        alpha.counters = ["requests.total": 5000, "errors.total": 3, "queue.depth": 1]
        alpha.latencyHistogram = [
            LatencyBucket(upperBoundMillis: 1, count: 400), LatencyBucket(upperBoundMillis: 2, count: 800),
            LatencyBucket(upperBoundMillis: 5, count: 200), LatencyBucket(upperBoundMillis: 10, count: 50),
            LatencyBucket(upperBoundMillis: .infinity, count: 5),
        ]
        var gamma = node("gamma-3", .draining, share: 0, inFlight: 3, fb: "ALIVE", routable: false)
        gamma.operatorDrained = true
        var delta = node("delta-4", .draining, share: 0, inFlight: 0, fb: "ALIVE", routable: false)
        delta.operatorDrained = true
        var eta = node("eta-7", .up, share: 0.25, weight: 50)
        eta.configuredWeight = 100
        return [
            alpha,
            node("beta-2", .degraded, p50: 2.5, p99: 31.4, share: 0.25, availability: 0.9731, fb: "WARNING"),
            gamma,
            delta,
            node("epsilon-5", .suspect, p50: 9.9, p99: 250, share: 0.25, availability: 0.95, error: "timeout after 500ms"),
            node("zeta-6", .down, p50: nil, p99: nil, availability: 0.5, error: "connection refused", fb: nil, routable: false),
            eta,
            node("theta-8", .starting, share: 0, fb: "STARTING", routable: false),
            node("iota-9", .unknown, p50: nil, p99: nil, availability: 0, fb: nil, routable: false),
        ]
    }

    static var events: [PoolEvent] {
        [
            PoolEvent(id: 1, time: wallTime - 60, node: nil, severity: .info, kind: .config, message: "cluster demo started with 9 nodes"),
            PoolEvent(id: 2, time: wallTime - 50, node: "theta-8", severity: .notice, kind: .stateChange, message: "unknown → starting"),
            PoolEvent(id: 3, time: wallTime - 40, node: "beta-2", severity: .warning, kind: .stateChange, message: "up → degraded: queue depth high"),
            PoolEvent(id: 4, time: wallTime - 30, node: "zeta-6", severity: .error, kind: .connection, message: "connection refused"),
            PoolEvent(id: 5, time: wallTime - 20, node: "gamma-3", severity: .notice, kind: .operatorAction, message: "drained by operator"),
            PoolEvent(id: 6, time: wallTime - 10, node: "epsilon-5", severity: .warning, kind: .timeout, message: "timeout after 500ms"),
            PoolEvent(id: 7, time: wallTime - 5, node: "alpha-1", severity: .error, kind: .applicationException, message: "TApplicationException INTERNAL_ERROR: boom"),
        ]
    }

    static var snapshot: ClusterSnapshot {
        ClusterSnapshot(
            clusterName: "demo", wallTime: wallTime, nodes: nodes, events: events,
            callsPerSecond: 1234.5, retriesPerSecond: 2.5, availability: 0.999_998, panicMode: false,
            undoable: ["tester": "drain gamma-3"]
        )
    }
}

/// Compares a screen with expected rows (trailing blanks ignored, as they are invisible) and,
/// on a mismatch, prints the whole screen framed so the failure shows what was drawn.
func expectScreen(_ screen: Screen, _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    let actual = screen.rows.map(trimRight)
    let wanted = expected.map(trimRight)
    guard actual != wanted else { return }
    // RENDER_DUMP_DIR=DIR: the screen got is also written to DIR/LINE.txt, to update the test from.
    if let directory = ProcessInfo.processInfo.environment["RENDER_DUMP_DIR"] {
        try? actual.joined(separator: "\n").write(toFile: "\(directory)/\(sourceLocation.line).txt", atomically: true, encoding: .utf8)
    }
    let firstDiff = zip(actual, wanted).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(actual.count, wanted.count)
    let expectedText = wanted.map { "│\($0)" }.joined(separator: "\n")
    Issue.record(
        "screen differs from row \(firstDiff)\n--- actual (\(screen.width)×\(screen.height)) ---\n\(screen.debugText)\n--- expected ---\n\(expectedText)",
        sourceLocation: sourceLocation
    )
}

func trimRight(_ s: String) -> String {
    var t = Substring(s)
    while t.last == " " { t.removeLast() }
    return String(t)
}

extension DashboardState {
    /// A state sorted by name (the default is worst first): for tests that walk the rows in a
    /// known order.
    static func byName(width: Int = 80, height: Int = 24, readOnly: Bool = false) -> DashboardState {
        var state = DashboardState(width: width, height: height, readOnly: readOnly)
        state.sort = NodeSort(column: .name, descending: false)
        return state
    }
}
