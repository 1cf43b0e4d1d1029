import NIOCore
import Testing
@testable import ClusterPool

/// The alert throttle and the capacity floor's watch on made-up times: every rule at its instant.
@Suite("Alert policy")
struct AlertPolicyTests {
    func at(_ seconds: Double) -> NIODeadline { .uptimeNanoseconds(UInt64(seconds * 1e9)) }
    func change(_ from: String, _ to: String, _ reason: String = "r") -> AlertChange { AlertChange(from: from, to: to, reason: reason) }

    @Test func aChangeOnAQuietNodeRunsAtOnceWithoutACoalescedCount() {
        var throttle = AlertThrottle<String>(minInterval: .seconds(30))
        #expect(throttle.record(change("up", "down"), for: "a", at: at(100)) == .run(AlertPayload(change: change("up", "down"), coalesced: nil)))
        #expect(throttle.nextDue == nil)
        // Another node is not held back by it.
        #expect(throttle.record(change("up", "suspect"), for: "b", at: at(101)) == .run(AlertPayload(change: change("up", "suspect"), coalesced: nil)))
    }

    @Test func changesWithinTheIntervalFoldIntoOneRunWhenItEnds() {
        var throttle = AlertThrottle<String>(minInterval: .seconds(30))
        _ = throttle.record(change("up", "down"), for: "a", at: at(100))
        #expect(throttle.record(change("down", "up", "back"), for: "a", at: at(105)) == .held(until: at(130)))
        #expect(throttle.record(change("up", "down", "again"), for: "a", at: at(110)) == .held(until: at(130)))
        #expect(throttle.record(change("down", "up", "last"), for: "a", at: at(129.9)) == .held(until: at(130)))
        #expect(throttle.nextDue == at(130))
        #expect(throttle.takeDue(at: at(129.999_999_999)).isEmpty)
        let due = throttle.takeDue(at: at(130))
        #expect(due.map(\.key) == ["a"])
        // FROM is the state before the first held change, TO the latest, with the latest reason.
        #expect(due.first?.payload == AlertPayload(change: change("down", "up", "last"), coalesced: 3))
        #expect(throttle.nextDue == nil)
    }

    @Test func aHeldRunCountsAsTheLastRun() {
        var throttle = AlertThrottle<String>(minInterval: .seconds(30))
        _ = throttle.record(change("up", "down"), for: "a", at: at(0))
        _ = throttle.record(change("down", "up"), for: "a", at: at(10))
        #expect(throttle.takeDue(at: at(30)).count == 1)
        #expect(throttle.record(change("up", "down"), for: "a", at: at(59)) == .held(until: at(60)))
        #expect(throttle.takeDue(at: at(60)).first?.payload.coalesced == 1)
        // Quiet for a whole interval after that: at once again.
        #expect(throttle.record(change("down", "up"), for: "a", at: at(90)) == .run(AlertPayload(change: change("down", "up"), coalesced: nil)))
    }

    @Test func theIntervalEndsExactlyAtMinIntervalAfterTheRun() {
        var throttle = AlertThrottle<String>(minInterval: .seconds(30))
        _ = throttle.record(change("up", "down"), for: "a", at: at(0))
        #expect(throttle.record(change("down", "up"), for: "a", at: at(29.999_999_999)) == .held(until: at(30)))
        var other = AlertThrottle<String>(minInterval: .seconds(30))
        _ = other.record(change("up", "down"), for: "a", at: at(0))
        #expect(other.record(change("down", "up"), for: "a", at: at(30)) == .run(AlertPayload(change: change("down", "up"), coalesced: nil)))
    }

    @Test func heldRunsOfSeveralNodesComeDueInTheirOrder() {
        var throttle = AlertThrottle<String>(minInterval: .seconds(10))
        _ = throttle.record(change("up", "down"), for: "b", at: at(5))
        _ = throttle.record(change("up", "down"), for: "a", at: at(0))
        _ = throttle.record(change("down", "up"), for: "a", at: at(1))
        _ = throttle.record(change("down", "up"), for: "b", at: at(6))
        #expect(throttle.nextDue == at(10))
        #expect(throttle.takeDue(at: at(12)).map(\.key) == ["a"])
        #expect(throttle.nextDue == at(15))
        #expect(throttle.takeDue(at: at(20)).map(\.key) == ["b"])
    }

    @Test func aZeroIntervalNeverHolds() {
        var throttle = AlertThrottle<String>(minInterval: .zero)
        for second in 0..<3 {
            #expect(throttle.record(change("up", "down"), for: "a", at: at(Double(second))) == .run(AlertPayload(change: change("up", "down"), coalesced: nil)))
        }
    }

    @Test func theFloorIsArmedOnlyOnceTheClusterFirstReachedIt() {
        var watch = CapacityFloorWatch(minRoutable: 2)
        // Starting: nodes come up one by one, nothing to report.
        #expect(watch.update(by: 1) == nil)
        #expect(watch.update(by: 1) == nil)
        #expect(watch.update(by: 1) == nil)
        #expect(watch.update(by: -1) == nil)
        #expect(watch.update(by: -1) == .init(from: 2, to: 1, below: true))
        #expect(watch.update(by: -1) == nil)
        #expect(watch.update(by: 1) == nil)
        #expect(watch.update(by: 1) == .init(from: 1, to: 2, below: false))
    }

    @Test func aFloorOfZeroNeverAlerts() {
        var watch = CapacityFloorWatch(minRoutable: 0)
        #expect(watch.update(by: 1) == nil)
        #expect(watch.update(by: -1) == nil)
    }
}
