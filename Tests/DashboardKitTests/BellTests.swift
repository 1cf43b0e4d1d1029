import ClusterModel
import Testing
@testable import DashboardKit

/// `--bell`: the dashboard's state decides when the bell is due; the terminal only rings.
@Suite("Bell")
struct BellTests {
    func snapshot(_ healths: [String: NodeHealth], drained: Set<String> = [], events: [PoolEvent] = []) -> ClusterSnapshot {
        let nodes = healths.keys.sorted().map { name in
            var node = NodeSnapshot(name: name, address: "10.0.0.1:9090", health: healths[name]!)
            node.operatorDrained = drained.contains(name)
            return node
        }
        return ClusterSnapshot(clusterName: "c", wallTime: 0, nodes: nodes, events: events)
    }

    func capacity(_ id: UInt64, _ severity: EventSeverity) -> PoolEvent {
        PoolEvent(id: id, time: 0, node: nil, severity: severity, kind: .capacity, message: "cluster c: …")
    }

    /// The loop's part: a new snapshot goes through `Dashboard.update`, then the bell is asked.
    func rings(_ state: inout DashboardState, _ next: ClusterSnapshot, at seconds: Double) -> Bool {
        Dashboard.update(state: &state, snapshot: next)
        return state.bell?.takeRing(at: seconds) == true
    }

    @Test func aNodeGettingWorseRingsAndGettingBetterDoesNot() {
        var state = DashboardState()
        state.bell = BellWatch()
        #expect(!rings(&state, snapshot(["a": .up, "b": .down]), at: 0), "what was already broken at the start is not news")
        #expect(rings(&state, snapshot(["a": .suspect, "b": .down]), at: 10))
        #expect(!rings(&state, snapshot(["a": .up, "b": .up]), at: 20))
        #expect(rings(&state, snapshot(["a": .degraded, "b": .up]), at: 30))
        #expect(rings(&state, snapshot(["a": .down, "b": .up]), at: 40))
        #expect(!rings(&state, snapshot(["a": .down, "b": .up]), at: 50))
    }

    @Test func theOperatorsOwnDrainIsNoRingButAServerStoppingItselfIs() {
        var state = DashboardState()
        state.bell = BellWatch()
        _ = rings(&state, snapshot(["a": .up, "b": .up]), at: 0)
        #expect(!rings(&state, snapshot(["a": .draining, "b": .up], drained: ["a"]), at: 10))
        #expect(rings(&state, snapshot(["a": .draining, "b": .draining], drained: ["a"]), at: 20))
    }

    @Test func aNodesFirstVerdictRingsOnlyWhenItIsDown() {
        var state = DashboardState()
        state.bell = BellWatch()
        _ = rings(&state, snapshot(["a": .unknown, "b": .unknown]), at: 0)
        #expect(!rings(&state, snapshot(["a": .up, "b": .unknown]), at: 10))
        #expect(rings(&state, snapshot(["a": .up, "b": .down]), at: 20))
    }

    @Test func theClusterFallingBelowMinRoutableRingsItsRecoveryDoesNot() {
        var state = DashboardState()
        state.bell = BellWatch()
        _ = rings(&state, snapshot(["a": .up], events: [capacity(1, .error)]), at: 0)
        #expect(!rings(&state, snapshot(["a": .up], events: [capacity(1, .error)]), at: 10), "an event already seen")
        #expect(rings(&state, snapshot(["a": .up], events: [capacity(1, .error), capacity(2, .error)]), at: 20))
        #expect(!rings(&state, snapshot(["a": .up], events: [capacity(2, .error), capacity(3, .notice)]), at: 30))
    }

    @Test func ringsAreAtMostOneASecondAndALateOneIsNotLost() {
        var state = DashboardState()
        state.bell = BellWatch()
        _ = rings(&state, snapshot(["a": .up, "b": .up, "c": .up]), at: 0)
        #expect(rings(&state, snapshot(["a": .down, "b": .up, "c": .up]), at: 100))
        #expect(!rings(&state, snapshot(["a": .down, "b": .down, "c": .up]), at: 100.5))
        #expect(!rings(&state, snapshot(["a": .down, "b": .down, "c": .down]), at: 100.9))
        // No new snapshot needed: the loop asks every tick, and the held ring comes once.
        #expect(state.bell?.takeRing(at: 100.999) == false)
        #expect(state.bell?.takeRing(at: 101) == true)
        #expect(state.bell?.takeRing(at: 102) == false)
    }

    @Test func withoutBellNothingIsTracked() {
        var state = DashboardState()
        #expect(!rings(&state, snapshot(["a": .up]), at: 0))
        #expect(!rings(&state, snapshot(["a": .down]), at: 10))
        #expect(state.bell == nil)
    }
}
