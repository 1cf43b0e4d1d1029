import ClusterModel
import Foundation
import NIOCore
import Testing
import ThriftWire
@testable import ClusterPool

/// One node's state machine alone: inputs with made-up times in, health and events out.
@Suite("Node state machine")
struct NodeStateTests {
    static func t(_ ms: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(ms) * 1_000_000) }

    static func node(fall: Int = 3, rise: Int = 2) -> NodeState {
        var health = HealthSettings()
        health.fall = fall
        health.rise = rise
        let config = NodeConfig(name: "n", address: NodeAddress(host: "10.0.0.1", port: 9090), settings: NodeSettings())
        return NodeState(config: config, detector: .make(health))
    }

    static let timeout = HeartbeatFailure(kind: .timeout, message: "heartbeat timed out after 80 ms", timeoutMillis: 80)

    @Test func unknownUntilHeardThenUpAtTheFirstReply() {
        let node = Self.node()
        _ = node.connected(at: Self.t(0))
        #expect(node.health == .unknown)
        node.heartbeatSent(at: Self.t(0))
        let change = node.record(heartbeat: .answered(.alive, millis: 1), at: Self.t(1))
        #expect(node.health == .up)
        #expect(change.events.map(\.message) == ["unknown → up"])
        #expect(node.isRoutable)
    }

    @Test func everyInputMovesTheVersionSoSnapshotsFollow() {
        let node = Self.node()
        var versions = [node.version]
        _ = node.connected(at: Self.t(0)); versions.append(node.version)
        node.heartbeatSent(at: Self.t(0)); versions.append(node.version)
        _ = node.record(heartbeat: .answered(nil, millis: 1), at: Self.t(1)); versions.append(node.version)
        node.callSent(); versions.append(node.version)
        node.record(call: .answered(millis: 2, exception: nil), at: Self.t(3)); versions.append(node.version)
        _ = node.apply(.weight(5), at: Self.t(4)); versions.append(node.version)
        #expect(Set(versions).count == versions.count, "\(versions)")
        // Time alone changes nothing while φ stays low (below 1).
        let before = node.version
        _ = node.evaluate(at: Self.t(5))
        #expect(node.version == before)
    }

    @Test func aRepeatedFailureIsLoggedOnceAndTheFallthConvicts() {
        let node = Self.node(fall: 3)
        _ = node.connected(at: Self.t(0))
        _ = node.record(heartbeat: .answered(.alive, millis: 1), at: Self.t(1))
        var logged: [String] = []
        for k in Int64(1)...3 {
            node.heartbeatSent(at: Self.t(k * 100))
            logged += node.record(heartbeat: .failed(Self.timeout), at: Self.t(k * 100 + 90)).events.map(\.message)
        }
        #expect(node.health == .down)
        #expect(logged == ["heartbeat timed out after 80 ms", "up → suspect: heartbeat timed out after 80 ms",
                           "suspect → down: heartbeat timed out after 80 ms"])
    }

    @Test func phiSuspectsSilenceAfterARegularHistoryAndForgivesAPause() {
        let node = Self.node()
        _ = node.connected(at: Self.t(0))
        for k in Int64(0)...20 {
            node.heartbeatSent(at: Self.t(k * 1000))
            _ = node.record(heartbeat: .answered(.alive, millis: 1), at: Self.t(k * 1000 + 1))
        }
        #expect(node.health == .up)
        // Regular 1 s arrivals with a 100 ms deviation floor: φ passes 8 about 1.56 s after the last one.
        _ = node.evaluate(at: Self.t(20_001 + 1500))
        #expect(node.health == .up)
        let change = node.evaluate(at: Self.t(20_001 + 1600))
        #expect(node.health == .suspect)
        #expect(change.events.map(\.message) == ["up → suspect"])
        // A pause of the pool itself re-bases φ: the same silence is no longer held against the node.
        node.pauseEnded(at: Self.t(21_700))
        _ = node.evaluate(at: Self.t(21_800))
        #expect(node.health == .up)
    }

    @Test func phiOfALongSilenceIsFiniteSoTheSnapshotEncodes() throws {
        let node = Self.node()
        _ = node.connected(at: Self.t(0))
        for k in Int64(0)...10 { _ = node.record(heartbeat: .answered(.alive, millis: 1), at: Self.t(k * 1000)) }
        let config = NodeConfig(name: "n", address: NodeAddress(host: "10.0.0.1", port: 9090), settings: NodeSettings())
        let snapshot = node.snapshot(of: config, at: Self.t(3_600_000))
        #expect(snapshot.phi == PhiAccrualDetector.maximum)
        _ = try JSONEncoder().encode(snapshot)
    }

    @Test func phiRisingOnAQuietNodeMovesTheSnapshotOnlyOnceItMatters() {
        let node = Self.node()
        _ = node.connected(at: Self.t(0))
        for k in Int64(0)...20 { _ = node.record(heartbeat: .answered(.alive, millis: 1), at: Self.t(k * 1000)) }
        let quiet = node.version
        _ = node.evaluate(at: Self.t(20_500))  // φ well under 1: nothing to show
        #expect(node.version == quiet)
        _ = node.evaluate(at: Self.t(21_400))  // φ past 1: shown
        #expect(node.version != quiet)
    }

    @Test func aDrainOverridesServingStatesButNotDownOrUnknown() {
        let node = Self.node()
        #expect(node.apply(.drain, at: Self.t(0)).events.isEmpty, "unknown stays unknown")
        #expect(node.connected(at: Self.t(0)).events.map(\.message) == ["connected to 10.0.0.1:9090"])
        let change = node.record(heartbeat: .answered(.warning, millis: 1), at: Self.t(1))
        #expect(node.health == .draining)
        #expect(change.events.map(\.message) == ["unknown → drained"])
        #expect(!node.isRoutable)
        #expect(node.serving, "degraded underneath: routable once undrained")
        let undrain = node.apply(.undrain, at: Self.t(2))
        #expect(node.health == .degraded)
        #expect(undrain.events.map(\.message) == ["drained → degraded: undrained by operator"])
        #expect(node.apply(.drain, at: Self.t(3)).events.map(\.message) == ["degraded → drained: drained by operator"])
    }

    @Test func aStatusChangeAsksForTheDetailsAgain() {
        let node = Self.node()
        _ = node.connected(at: Self.t(0))
        #expect(node.record(heartbeat: .answered(.alive, millis: 1), at: Self.t(1)).fetchStatusDetails)
        #expect(!node.record(heartbeat: .answered(.alive, millis: 1), at: Self.t(101)).fetchStatusDetails)
        let change = node.record(heartbeat: .answered(.stopping, millis: 1), at: Self.t(201))
        #expect(change.fetchStatusDetails)
        #expect(change.events.map(\.message) == ["fb303 status ALIVE → STOPPING", "up → stopping"])
    }

    @Test func serverTextInErrorsIsSanitizedWhereItEnters() {
        let node = Self.node()
        _ = node.connected(at: Self.t(0))
        node.heartbeatSent(at: Self.t(0))
        _ = node.record(heartbeat: .answered(nil, millis: 1), at: Self.t(1))
        let hostile = HeartbeatFailure(kind: .applicationException, message: "getStatus raised \u{1b}]0;owned\u{07}\u{1b}[2Jboom", gotReply: true)
        let change = node.record(heartbeat: .failed(hostile), at: Self.t(100))
        #expect(node.lastError == "getStatus raised boom")
        #expect(change.events.first?.kind == .applicationException)
    }
}

@Suite("Composed failure detectors")
struct FailureDetectorTests {
    static func t(_ ms: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(ms) * 1_000_000) }

    @Test func fallRiseIsUpAtTheFirstSuccessThenNeedsRiseAfterAConviction() {
        var d = FallRiseDetector(fall: 2, rise: 2)
        #expect(d.verdict(at: Self.t(0)) == .down)
        d.heartbeatSucceeded(at: Self.t(1))
        #expect(d.verdict(at: Self.t(1)) == .up)
        d.heartbeatFailed(at: Self.t(2))
        #expect(d.verdict(at: Self.t(2)) == .suspect)
        d.connectionLost(at: Self.t(3))
        #expect(d.verdict(at: Self.t(3)) == .down)
        d.heartbeatSucceeded(at: Self.t(4))
        #expect(d.verdict(at: Self.t(4)) == .down)
        d.heartbeatSucceeded(at: Self.t(5))
        #expect(d.verdict(at: Self.t(5)) == .up)
    }

    @Test func eitherDetectorTakesTheWorseVerdictAndFeedsBoth() {
        var d = NodeDetector.make(HealthSettings())
        for k in Int64(0)...10 { d.heartbeatSucceeded(at: Self.t(k * 100)) }
        #expect(d.verdict(at: Self.t(1000)) == .up)
        #expect(d.first.verdict(at: Self.t(5000)) == .up, "hysteresis alone sees nothing wrong in silence")
        #expect(d.verdict(at: Self.t(5000)) == .suspect, "φ does")
        d.connected(at: Self.t(5000))
        #expect(d.second.phi(at: Self.t(6000)) == 0, "a new connection starts φ's history afresh")
    }
}
