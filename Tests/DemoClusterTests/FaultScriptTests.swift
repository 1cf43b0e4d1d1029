import NIOCore
import Testing
import ThriftWire
@testable import DemoCluster

@Suite("Fault scripts over time")
struct FaultScriptTests {
    func change(_ body: (inout FaultChange) -> Void) -> FaultChange {
        var c = FaultChange()
        body(&c)
        return c
    }

    @Test func aRepeatingStepIsActiveForItsDurationEveryPeriod() {
        let script = FaultScript(steps: [FaultStep(at: 20, duration: 5, every: 40, change: change { $0.crashed = true })])
        let crashedAt = stride(from: 0.0, to: 110, by: 1).filter { script.state(at: $0).crashed }
        #expect(crashedAt == Array(stride(from: 20.0, to: 25, by: 1)) + Array(stride(from: 60.0, to: 65, by: 1)) + Array(stride(from: 100.0, to: 105, by: 1)))
    }

    @Test func laterStepsWinAndUnsetFieldsKeepTheBase() {
        var base = FaultState()
        base.latencyMillis = 3
        let script = FaultScript(base: base, steps: [
            FaultStep(at: 0, duration: 10, change: change { $0.status = .starting; $0.details = "warming caches" }),
            FaultStep(at: 5, change: change { $0.status = .warning }),
        ])
        #expect(script.state(at: 1).status == .starting)
        #expect(script.state(at: 6).status == .warning)
        #expect(script.state(at: 6).details == "warming caches")
        #expect(script.state(at: 11).details == "")
        #expect(script.state(at: 11).status == .warning)
        #expect(script.state(at: 11).latencyMillis == 3)
    }

    @Test func nextChangeFindsStartsAndEnds() {
        let script = FaultScript(steps: [FaultStep(at: 6, duration: 3, every: 10, change: change { $0.crashed = true })])
        #expect(script.nextChange(after: 0) == 6)
        #expect(script.nextChange(after: 6) == 9)
        #expect(script.nextChange(after: 9) == 16)
        #expect(script.nextChange(after: 17) == 19)
        #expect(FaultScript().nextChange(after: 0) == nil)
    }
}

@Suite("Server-side heartbeat detection")
struct HeartbeatClientTrackerTests {
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test func aClientThatStopsHeartbeatingIsNoticedAsSilent() {
        var tracker = HeartbeatClientTracker()
        for i in 0..<5 { tracker.heartbeat(connection: 1, at: t0 + .milliseconds(Int64(i) * 500)) }
        for i in 0..<5 { tracker.heartbeat(connection: 2, at: t0 + .milliseconds(Int64(i) * 500)) }
        let last = t0 + .milliseconds(2000)
        #expect(tracker.activeCount(at: last) == 2)
        tracker.heartbeat(connection: 2, at: last + .milliseconds(500))
        tracker.heartbeat(connection: 2, at: last + .milliseconds(1000))
        tracker.heartbeat(connection: 2, at: last + .milliseconds(1500))
        // Client 1 silent for 1.6 s: more than max(1 s, 3 × 0.5 s).
        #expect(tracker.silentCount(at: last + .milliseconds(1600)) == 1)
        #expect(tracker.activeCount(at: last + .milliseconds(1600)) == 1)
        // Just under the threshold it is still active.
        #expect(tracker.silentCount(at: last + .milliseconds(1499)) == 0)
    }

    @Test func aDisconnectedClientIsNeitherActiveNorSilent() {
        var tracker = HeartbeatClientTracker()
        tracker.heartbeat(connection: 7, at: t0)
        tracker.heartbeat(connection: 7, at: t0 + .seconds(1))
        tracker.disconnected(connection: 7)
        #expect(tracker.activeCount(at: t0 + .seconds(60)) == 0)
        #expect(tracker.silentCount(at: t0 + .seconds(60)) == 0)
    }
}
