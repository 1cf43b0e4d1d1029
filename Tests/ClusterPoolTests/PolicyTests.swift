import ClusterModel
import Histogram
import NIOCore
import Testing
@testable import ClusterPool

let t0 = NIODeadline.uptimeNanoseconds(10_000_000_000)

@Suite("Failure detection policies")
struct FailureDetectionTests {
    @Test func hysteresisFallsAfterFallFailuresAndRisesAfterRiseSuccesses() {
        var h = HysteresisDetector(fall: 3, rise: 2, startUp: true)
        let r1 = !h.record(success: false)
        let r2 = !h.record(success: false)
        #expect(r1 && r2)
        #expect(h.isUp)
        let r3 = h.record(success: false)
        #expect(r3)
        #expect(!h.isUp)
        let r4 = !h.record(success: true)
        #expect(r4)
        #expect(!h.isUp)
        let r5 = h.record(success: true)
        #expect(r5)
        #expect(h.isUp)
    }

    @Test func alternatingResultsNeverFlipAFlappingNode() {
        var h = HysteresisDetector(fall: 3, rise: 2, startUp: true)
        var flips = 0
        for i in 0..<100 where h.record(success: i % 3 != 0) { flips += 1 }
        #expect(flips == 0)
        #expect(h.isUp)
    }

    @Test func hardEvidenceIsDownAtOnce() {
        var h = HysteresisDetector(fall: 3, rise: 2, startUp: true)
        h.forceDown()
        #expect(!h.isUp)
        h.record(success: true)
        #expect(!h.isUp)
    }

    @Test func phiStaysLowWhileHeartbeatsArriveAndRisesPastThresholdWhenTheyStop() {
        var phi = PhiAccrualDetector(threshold: 8, minimumDeviation: .milliseconds(50))
        for i in 0...20 { phi.heartbeat(at: t0 + .milliseconds(Int64(i) * 1000)) }
        let last = t0 + .seconds(20)
        #expect(phi.phi(at: last + .milliseconds(1000)) < 1)
        #expect(!phi.isSuspect(at: last + .milliseconds(1100)))
        // Two missed beats: suspect long before three timeouts (fall × interval) would convict it.
        #expect(phi.isSuspect(at: last + .milliseconds(1500)))
        #expect(phi.phi(at: last + .seconds(3)) > phi.phi(at: last + .milliseconds(1500)))
    }

    @Test func rebasingAfterALocalPauseForgivesTheGap() {
        var phi = PhiAccrualDetector(threshold: 8)
        for i in 0...10 { phi.heartbeat(at: t0 + .seconds(Int64(i))) }
        let afterPause = t0 + .seconds(40)
        #expect(phi.isSuspect(at: afterPause))
        phi.rebase(at: afterPause)
        #expect(!phi.isSuspect(at: afterPause + .milliseconds(500)))
    }

    @Test func aLocalPauseIsDetectedOnlyWhenTicksAreFarApart() {
        var guardian = LocalPauseGuard(expectedTick: .milliseconds(100))
        let r6 = guardian.tick(at: t0) == nil
        #expect(r6)
        let r7 = guardian.tick(at: t0 + .milliseconds(150)) == nil
        #expect(r7)
        let withinTolerance = guardian.tick(at: t0 + .milliseconds(1200)) == nil  // 1.05 s gap
        #expect(withinTolerance)
        let r8 = guardian.tick(at: t0 + .milliseconds(6200)) == .seconds(5)
        #expect(r8)
    }
}

@Suite("Reconnect, retry and ejection policies")
struct RetryPolicyTests {
    @Test func reconnectBackoffGrowsExponentiallyWithFullJitterAndResets() {
        var backoff = ReconnectBackoff(base: .milliseconds(100), cap: .seconds(2))
        var random = SeededGenerator(seed: 1)
        var ceilings: [Int64] = []
        for _ in 0..<7 {
            ceilings.append(backoff.currentCeiling.nanoseconds / 1_000_000)
            let delay = backoff.nextDelay(using: &random)
            #expect(delay.nanoseconds <= ceilings.last! * 1_000_000)
        }
        #expect(ceilings == [100, 200, 400, 800, 1600, 2000, 2000])
        let draws = (0..<1000).map { _ in
            var b = ReconnectBackoff(base: .milliseconds(100), cap: .seconds(2))
            for _ in 0..<5 { _ = b.nextDelay(using: &random) }
            return b.nextDelay(using: &random).nanoseconds
        }
        // Full jitter: uniform over [0, 2 s], mean near 1 s, not clustered at the cap.
        let mean = Double(draws.reduce(0, +)) / Double(draws.count) / 1e9
        #expect(abs(mean - 1.0) < 0.1)
        backoff.reset()
        #expect(backoff.currentCeiling == .milliseconds(100))
    }

    @Test func theRetryBudgetAllowsTheFloorPlusAShareOfCalls() throws {
        var budget = try RetryBudget(ttl: .seconds(10), minRetriesPerSecond: 1, percentCanRetry: 0.2)
        // No calls: only the floor, 1/s over 10 s.
        var allowed = 0
        for _ in 0..<50 where budget.tryWithdraw(at: t0) { allowed += 1 }
        #expect(allowed == 10)
        // 100 calls add 20 more retries.
        for _ in 0..<100 { budget.recordCall(at: t0) }
        allowed = 0
        for _ in 0..<50 where budget.tryWithdraw(at: t0) { allowed += 1 }
        #expect(allowed == 20)
        // After the window, the budget is back.
        let r9 = budget.tryWithdraw(at: t0 + .seconds(11))
        #expect(r9)
    }

    @Test func retryBudgetParametersAreValidatedWithTheirRange() {
        #expect(throws: PolicyError("retry budget ttl must be from 1 s to 60 s (got 500 ms)")) {
            try RetryBudget(ttl: .milliseconds(500))
        }
        #expect(throws: PolicyError.self) { try RetryBudget(minRetriesPerSecond: -1) }
        #expect(throws: PolicyError.self) { try RetryBudget(percentCanRetry: 20) }
    }

    @Test func onlySafeFailuresAreRetriedUnlessIdempotent() {
        let policy = RetryPolicy(maxAttempts: 3)
        #expect(policy.isRetryable(.notWritten, idempotent: false, attempt: 1))
        #expect(!policy.isRetryable(.timeout, idempotent: false, attempt: 1))
        #expect(policy.isRetryable(.timeout, idempotent: true, attempt: 2))
        #expect(!policy.isRetryable(.timeout, idempotent: true, attempt: 3))
        #expect(!policy.isRetryable(.application, idempotent: true, attempt: 1))
        #expect(!policy.isRetryable(.declared, idempotent: true, attempt: 1))
    }

    @Test func consecutiveFailuresEjectForGrowingTimesAndNeverMoreThanTheShare() {
        var ejector = OutlierEjector(nodeCount: 4, consecutiveFailures: 3, baseEjection: .seconds(10), maxEjection: .seconds(25), maxEjectedShare: 0.5)
        let r10 = ejector.recordFailure(0, at: t0) == nil
        #expect(r10)
        ejector.recordSuccess(0)
        let r11 = ejector.recordFailure(0, at: t0) == nil
        #expect(r11)
        let r12 = ejector.recordFailure(0, at: t0) == nil
        #expect(r12)
        let r13 = ejector.recordFailure(0, at: t0) == .seconds(10)
        #expect(r13)
        #expect(ejector.isEjected(0, at: t0 + .seconds(9)))
        #expect(!ejector.isEjected(0, at: t0 + .seconds(10)))
        for _ in 0..<3 { _ = ejector.recordFailure(0, at: t0 + .seconds(11)) }
        #expect(ejector.ejectedUntil(0) == t0 + .seconds(31))  // second ejection: 2 × 10 s
        for _ in 0..<3 { _ = ejector.recordFailure(0, at: t0 + .seconds(40)) }
        #expect(ejector.ejectedUntil(0) == t0 + .seconds(65))  // capped at 25 s
        // Node 0 ejected; node 1 may be (2 of 4); node 2 may not.
        for _ in 0..<3 { _ = ejector.recordFailure(1, at: t0 + .seconds(41)) }
        for _ in 0..<3 { _ = ejector.recordFailure(2, at: t0 + .seconds(41)) }
        #expect(ejector.isEjected(1, at: t0 + .seconds(42)))
        #expect(!ejector.isEjected(2, at: t0 + .seconds(42)))
    }
}

@Suite("Load balancers")
struct LoadBalancerTests {
    let weighted = [BalancerNode(index: 0, weight: 100), BalancerNode(index: 1, weight: 200), BalancerNode(index: 2, weight: 300)]

    func shares(_ balancer: inout some LoadBalancer, _ nodes: [BalancerNode], calls: Int = 30_000, seed: UInt64 = 12345) -> [Double] {
        var random = SeededGenerator(seed: seed)
        var counts = Array(repeating: 0, count: nodes.count)
        for _ in 0..<calls { counts[balancer.pick(nodes, using: &random)!] += 1 }
        return counts.map { Double($0) / Double(calls) }
    }

    @Test func weights100_200_300GiveShareWithinThreePointsForEveryWeightedPolicy() {
        var rr = SmoothWeightedRoundRobin()
        var random = WeightedRandom()
        var p2c = PowerOfTwoChoices()
        let expected = [1.0 / 6, 2.0 / 6, 3.0 / 6]
        for got in [shares(&rr, weighted), shares(&random, weighted), shares(&p2c, weighted)] {
            for (g, e) in zip(got, expected) { #expect(abs(g - e) < 0.03, "share \(g) vs \(e)") }
        }
    }

    @Test func smoothRoundRobinInterleaves() {
        var rr = SmoothWeightedRoundRobin()
        var random = SeededGenerator(seed: 1)
        let nodes = [BalancerNode(index: 0, weight: 5), BalancerNode(index: 1, weight: 1), BalancerNode(index: 2, weight: 1)]
        let sequence = (0..<7).map { _ in rr.pick(nodes, using: &random)! }
        #expect(sequence == [0, 0, 1, 0, 2, 0, 0])
    }

    @Test func p2cMovesTrafficAwayFromASlowNode() {
        var p2c = PowerOfTwoChoices()
        let nodes = [BalancerNode(index: 0, weight: 100, cost: 1), BalancerNode(index: 1, weight: 100, cost: 1),
                     BalancerNode(index: 2, weight: 100, cost: 40)]
        let got = shares(&p2c, nodes)
        #expect(got[2] == 0)
        #expect(abs(got[0] - 0.5) < 0.02)
    }

    @Test func p2cPrefersTheLessLoadedOfTwoEqualNodesButKeepsWeightsOnTies() {
        var p2c = PowerOfTwoChoices()
        let busy = [BalancerNode(index: 0, weight: 100, outstanding: 8, cost: 1), BalancerNode(index: 1, weight: 100, outstanding: 0, cost: 1)]
        #expect(shares(&p2c, busy)[1] == 1)
        // Costs within the tie band: weights decide.
        let noisy = [BalancerNode(index: 0, weight: 100, cost: 1.0), BalancerNode(index: 1, weight: 300, cost: 1.2)]
        #expect(abs(shares(&p2c, noisy)[1] - 0.75) < 0.02)
    }

    @Test func leastOutstandingPrefersIdleNodesPerUnitOfWeight() {
        var lo = LeastOutstanding()
        var random = SeededGenerator(seed: 3)
        let nodes = [BalancerNode(index: 0, weight: 100, outstanding: 4), BalancerNode(index: 1, weight: 100, outstanding: 1),
                     BalancerNode(index: 2, weight: 300, outstanding: 4)]
        let chosen = lo.pick(nodes, using: &random)  // 5/300 < 2/100 < 5/100
        #expect(chosen == 2)
        let r14 = lo.pick([], using: &random) == nil
        #expect(r14)
    }

    @Test func peakEWMAJumpsOnSlowSamplesAndDecaysSlowly() {
        var ewma = PeakEWMA(tau: .seconds(10))
        ewma.observe(millis: 1, at: t0)
        ewma.observe(millis: 50, at: t0 + .milliseconds(100))
        #expect(ewma.cost == 50)
        ewma.observe(millis: 1, at: t0 + .seconds(1))
        #expect(ewma.cost > 40)
        for i in 2...60 { ewma.observe(millis: 1, at: t0 + .seconds(Int64(i))) }
        #expect(ewma.cost < 2)
    }

    @Test func aBusyNodesOneSlowReplyFadesWithinSamplesNotSeconds() {
        var busy = PeakEWMA(tau: .seconds(10)), slow = PeakEWMA(tau: .seconds(10))
        busy.observe(millis: 1.3, at: t0)
        busy.observe(millis: 13, at: t0 + .milliseconds(1))
        // 30 fast replies, one a millisecond: by time alone the spike would still count ~99 %.
        for i in 2...31 { busy.observe(millis: 1.3, at: t0 + .milliseconds(Int64(i))) }
        #expect(busy.cost < 1.8)
        for i in 0...31 { slow.observe(millis: 10, at: t0 + .milliseconds(Int64(i * 10))) }
        #expect(slow.cost == 10, "a node slow on every call keeps its cost")
    }

    @Test func aCostIsReadDecayedForTheTimeSinceItsLastSample() {
        var ewma = PeakEWMA(tau: .seconds(10))
        ewma.observe(millis: 1000, at: t0)
        #expect(ewma.cost(at: t0 + .milliseconds(50)) == 1000, "within a tenth of a second: as it is")
        #expect(abs(ewma.cost(at: t0 + .seconds(10)) - 1000 / 2.718281828459045) < 0.001)
        #expect(ewma.cost(at: t0 + .seconds(70)) < 1, "a minute on, one slow answer no longer prices the node out")
        #expect(ewma.cost == 1000, "reading moves nothing")
    }
}

@Suite("Records: latency, availability, events, sanitizing")
struct RecordTests {
    @Test func latencyPercentilesComeFromTheSlidingWindow() throws {
        var window = LatencyWindow(halfWindow: .seconds(30))
        for i in 1...100 { window.record(millis: Double(i), at: t0) }
        let p = try #require(window.summary())
        #expect(abs(p.p50 - 50) / 50 < 0.07)
        #expect(abs(p.p90 - 90) / 90 < 0.07)
        #expect(abs(p.p99 - 99) / 99 < 0.07)
        #expect(abs(p.max - 100) / 100 < 0.07)
        #expect(p.histogram.reduce(0) { $0 + $1.count } == 100)
        #expect(window.recent.count == 100)
        // One rotation keeps the old half; two drop it.
        window.record(millis: 1000, at: t0 + .seconds(31))
        let both = try #require(window.summary())
        #expect(both.p50 < 100 && both.p99 >= 99 && abs(both.max - 1000) / 1000 < 0.07)
        #expect(both.histogram.reduce(0) { $0 + $1.count } == 101)
        window.record(millis: 1000, at: t0 + .seconds(62))
        #expect(abs(try #require(window.summary()).p50 - 1000) / 1000 < 0.07)
        #expect(try #require(window.summary()).histogram.reduce(0) { $0 + $1.count } == 2)
    }

    /// The one-walk summary reads the same percentiles as HdrHistogram over the merged halves.
    @Test func theSummaryMatchesHdrHistogramOverBothHalves() throws {
        var window = LatencyWindow(halfWindow: .seconds(30))
        var merged = Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .one)
        var random = SeededGenerator(seed: 11)
        for i in 0..<2000 {
            // Two halves with different shapes: ~1 ms, then a heavier 5-50 ms tail.
            let millis = i < 1000 ? Double.random(in: 0.2...2, using: &random) : Double.random(in: 5...50, using: &random)
            window.record(millis: millis, at: t0 + .seconds(i < 1000 ? 0 : 31))
            _ = merged.record(UInt64((millis * 1000).rounded()))
        }
        let summary = try #require(window.summary())
        for (got, percentile) in [(summary.p50, 50.0), (summary.p90, 90.0), (summary.p99, 99.0)] {
            #expect(got == Double(merged.valueAtPercentile(percentile)) / 1000, "p\(percentile)")
        }
        #expect(summary.max == Double(merged.max) / 1000)
    }

    @Test func theSparklineKeepsTheLast120SamplesOldestFirst() {
        var window = LatencyWindow()
        for i in 0..<150 { window.record(millis: Double(i), at: t0) }
        #expect(window.recent.count == 120)
        #expect(window.recent.first == 30)
        #expect(window.recent.last == 149)
    }

    @Test func availabilityIsTheShareOfGoodHeartbeatsInTheWindow() {
        var a = AvailabilityWindow(capacity: 10)
        for i in 0..<10 { a.record(i < 9) }
        #expect(a.availability == 0.9)
        for _ in 0..<9 { a.record(true) }
        #expect(a.availability == 0.9)  // the old failure is still one of the last 10
        a.record(true)
        #expect(a.availability == 1.0)
        #expect(abs(AvailabilityWindow.cluster([0.9, 0.9]) - 0.99) < 1e-12)
        #expect(AvailabilityWindow.cluster([]) == 0)
    }

    @Test func theEventLogIsABoundedRingNewestLast() {
        var log = EventLog(capacity: 3)
        for i in 1...5 { log.append(time: Double(i), node: nil, severity: .info, kind: .config, message: "e\(i)") }
        #expect(log.events().map(\.message) == ["e3", "e4", "e5"])
        #expect(log.events().map(\.id) == [3, 4, 5])
        #expect(log.events(limit: 2).map(\.message) == ["e4", "e5"])
    }

    @Test func serverTextLosesEscapeSequencesAndControlCharacters() {
        #expect(TextSanitizer.clean("\u{1b}[2J\u{1b}[31mdisk\u{1b}[0m 91%\u{07} full") == "disk 91% full")
        #expect(TextSanitizer.clean("a\u{1b}]0;pwned title\u{07}b") == "ab")
        #expect(TextSanitizer.clean("line1\nline2\ttab") == "line1 line2 tab")
        #expect(TextSanitizer.clean("x\u{9b}31my\u{202e}z") == "xyz")
        #expect(TextSanitizer.clean(String(repeating: "a", count: 600)).count == 513)
    }
}

@Suite("Timer wheel")
struct TimerWheelTests {
    @Test func entriesComeOutOnceInDueOrderAndNeverBeforeTheirTick() {
        var wheel = TimerWheel<String>(tick: .milliseconds(10))
        wheel.schedule("b", at: t0 + .milliseconds(25))
        wheel.schedule("a", at: t0 + .milliseconds(5))
        wheel.schedule("c", at: t0 + .milliseconds(500))
        #expect(wheel.takeDue(at: t0 + .milliseconds(9)) == ["a"])
        #expect(wheel.takeDue(at: t0 + .milliseconds(19)).isEmpty)
        #expect(wheel.takeDue(at: t0 + .milliseconds(30)) == ["b"])
        #expect(wheel.takeDue(at: t0 + .milliseconds(30)).isEmpty)
        // Scheduled into a bucket already taken out: comes out at the next tick instead.
        wheel.schedule("late", at: t0)
        #expect(wheel.takeDue(at: t0 + .milliseconds(40)) == ["late"])
        // A long gap takes out everything due, in order.
        wheel.schedule("d", at: t0 + .seconds(100))
        #expect(wheel.takeDue(at: t0 + .seconds(200)) == ["c", "d"])
        #expect(wheel.count == 0)
    }
}

@Suite("Cluster availability")
struct ClusterAvailabilityTests {
    @Test func leavingOneOutMatchesRecomputingWithoutIt() {
        let sets: [[Double]] = [[0.9, 0.99, 0.5], [1.0, 0.9], [1.0, 1.0, 0.3], [0.7], [0, 0.5, 1.0]]
        for availabilities in sets {
            let cluster = ClusterAvailability(availabilities)
            #expect(abs(cluster.value - AvailabilityWindow.cluster(availabilities)) < 1e-12)
            for i in availabilities.indices {
                var rest = availabilities
                rest.remove(at: i)
                let expected = rest.isEmpty ? 0 : 1 - rest.reduce(1) { $0 * (1 - $1) }
                #expect(abs(cluster.without(availabilities[i]) - expected) < 1e-12, "\(availabilities) without #\(i)")
            }
        }
    }
}
