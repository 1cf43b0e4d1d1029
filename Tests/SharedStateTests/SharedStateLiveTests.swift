import ClusterModel
import ClusterPool
@testable import DashboardKit
import DemoCluster
import EtcdClient
import EtcdHarness
import Foundation
@testable import SharedState
import Testing

/// Several instances on one real etcd: what an operator relies on when more than one balancer
/// routes the same cluster.
@Suite("Shared operator state on etcd", .serialized, .timeLimit(.minutes(2)))
struct SharedStateLiveTests {
    @Test func aDrainOnOneInstanceStopsTheOthersRoutingToTheNodeWithinASecond() async throws {
        try await SharedFixture.with { fixture in
            let a = try await fixture.start("serve-a")
            let b = try await fixture.start("serve-b")
            try await fixture.allUp(b)
            let started = Date()
            #expect(await a.execute(.drain(node: "two"), user: "alice").isDone)
            let seen = try await b.waitFor("two drained on serve-b", seconds: 1) { $0.node(named: "two")?.operatorDrained == true }
            #expect(Date().timeIntervalSince(started) < 1)
            let change = try #require(seen.node(named: "two")?.lastChange)
            #expect(change.user == "alice" && change.instance == "serve-a" && change.action == "drain two")
            #expect(seen.events.contains { $0.message == "alice on serve-a: drain two (shared state)" })
            // Counted at the server: no call B routes goes to two any more.
            let before = fixture.work(fixture.servers[1])
            for _ in 0..<40 { _ = try await b.pool.call(DemoService.Work.self, .init(costMicros: 0, payload: [1])) }
            #expect(fixture.work(fixture.servers[1]) == before)
            // Undo on A works on the shared state; B follows.
            #expect(await a.execute(.undo, user: "alice") == .done("undid drain two on every instance"))
            try await b.waitFor("two serving again on serve-b", seconds: 1) { $0.node(named: "two")?.operatorDrained == false }
            // Who did what is in etcd, readable.
            let listing = try await fixture.etcd.etcdctl(["get", "--prefix", "/thrifttop/shared/nodes/"])
            #expect(listing.contains("/thrifttop/shared/nodes/two"))
            #expect(listing.contains(#""instance":"serve-a""#) && listing.contains(#""action":"undo drain two""#))
        }
    }

    @Test func undoIsRefusedWhenSomeoneElseChangedTheNodeSince() async throws {
        try await SharedFixture.with { fixture in
            let a = try await fixture.start("serve-a")
            let b = try await fixture.start("serve-b")
            try await fixture.allUp(a)
            #expect(await a.execute(.setWeight(node: "one", weight: 40), user: "alice").isDone)
            try await b.waitFor("weight 40 on serve-b", seconds: 1) { $0.node(named: "one")?.weight == 40 }
            #expect(await b.execute(.setWeight(node: "one", weight: 70), user: "bob").isDone)
            try await a.waitFor("weight 70 on serve-a", seconds: 1) { $0.node(named: "one")?.weight == 70 }
            let refused = await a.execute(.undo, user: "alice")
            #expect(refused == .refused("cannot undo \"weight one 40\": bob on serve-b changed one since (weight one 40 → 70)"))
            #expect(try await b.node("one").weight == 70)
        }
    }

    @Test func ofTwoConcurrentDrainsThatTogetherBreakTheFloorExactlyOneSucceedsEveryRound() async throws {
        try await SharedFixture.with { fixture in
            // Three nodes, min_routable 2: one drain is fine, two would leave one.
            let (a, b) = try await fixture.startPair(minRoutable: 2)
            for round in 1...50 {
                async let first = a.execute(.drain(node: "one"), user: "alice")
                async let second = b.execute(.drain(node: "two"), user: "bob")
                let results = await [first, second]
                let done = results.filter(\.isDone)
                #expect(done.count == 1, "round \(round): \(results)")
                let refusal = results.first { !$0.isDone }
                #expect(refusal?.description.contains("fewer than min_routable 2") == true, "round \(round): \(results)")
                // Back to all serving, seen by both, before the next round.
                let drained = results[0].isDone ? "one" : "two"
                #expect(await (results[0].isDone ? a : b).execute(.undrain(node: drained)).isDone)
                for instance in [a, b] {
                    try await instance.waitFor("round \(round) undone") { snapshot in
                        snapshot.nodes.allSatisfy { !$0.operatorDrained && $0.health == .up }
                    }
                }
            }
            // The two decisions did meet in etcd (one write's condition failed), not merely one after the other.
            let conflicts = await a.authority.conflicts + b.authority.conflicts
            #expect(conflicts > 0)
        }
    }

    /// The floor across instances holds a weight of 0 as it holds a drain, by the same rules the
    /// dashboard previews with: B's screen refuses before asking what B's authority refuses.
    @Test func aWeightOfZeroOnAnotherInstanceIsHeldToTheSharedFloorAsADrainIs() async throws {
        try await SharedFixture.with { fixture in
            let (a, b) = try await fixture.startPair(minRoutable: 2)
            #expect(await a.execute(.setWeight(node: "one", weight: 0), user: "alice").isDone)
            let seen = try await b.waitFor("one at weight 0 on serve-b", seconds: 1) { $0.node(named: "one")?.weight == 0 }
            let refusal = "weight 0 on two would leave 1 routable node, fewer than min_routable 2 (:weight two 0 force overrides)"
            var state = DashboardState(width: 120, height: 40)
            Dashboard.propose(.setWeight(node: "two", weight: 0), &state, seen)
            #expect(state.overlay == .refusal(Refusal(.setWeight(node: "two", weight: 0), reason: refusal, forced: .setWeight(node: "two", weight: 0, force: true))))
            #expect(await b.execute(.setWeight(node: "two", weight: 0), user: "bob") == .refused(refusal))
            #expect(await b.execute(.drain(node: "two"), user: "bob") == .refused("draining two would leave 1 routable node, fewer than min_routable 2 (:drain two force overrides)"))
            #expect(await b.execute(.setWeight(node: "two", weight: 0, force: true), user: "bob").isDone)
            try await a.waitFor("two at weight 0 on serve-a", seconds: 1) { $0.node(named: "two")?.weight == 0 }
        }
    }

    @Test func withEtcdGoneRoutingGoesOnActionsAreRefusedAndOnItsReturnNothingIsLost() async throws {
        try await SharedFixture.with { fixture in
            let (a, b) = try await fixture.startPair()
            #expect(await a.execute(.drain(node: "one"), user: "alice").isDone)
            try await b.waitFor("one drained on serve-b", seconds: 1) { $0.node(named: "one")?.operatorDrained == true }

            await fixture.etcd.kill()
            let down = try await a.waitFor("serve-a sees etcd gone", seconds: 5) { $0.stateStore?.unreachableSince != nil }
            try await b.waitFor("serve-b sees etcd gone", seconds: 5) { $0.stateStore?.unreachableSince != nil }
            // Routing goes on, on the last state known: one stays drained.
            let drainedCalls = fixture.work(fixture.servers[0])
            for _ in 0..<20 { _ = try await a.pool.call(DemoService.Work.self, .init(costMicros: 0, payload: [1])) }
            #expect(fixture.work(fixture.servers[0]) == drainedCalls)
            // Actions are refused with the reason, and the screen says so.
            let refused = await a.execute(.drain(node: "two"), user: "alice")
            #expect(refused.description.contains("the state store is unreachable (etcd, \(fixture.etcd.endpoint) /thrifttop/shared/) since"))
            #expect(refused.description.contains("force_local"))
            let screen = Dashboard.render(down, DashboardState(width: 160, height: 30), width: 160, height: 30).rows.joined(separator: "\n")
            #expect(screen.contains("state store unreachable since"))
            // Here only, on purpose: both instances change node two, differently.
            let local = await a.execute(.setWeight(node: "two", weight: 30), forceLocal: true, user: "alice")
            #expect(local.description.contains("HERE ONLY"))
            #expect(await b.execute(.setWeight(node: "two", weight: 60), forceLocal: true, user: "bob").isDone)
            let marked = try await a.node("two")
            #expect(marked.weight == 30 && marked.lastChange?.localOnly == true)
            #expect(try await a.pool.currentSnapshot().stateStore?.localPending == 1)

            try await fixture.etcd.restart()
            try await a.waitFor("serve-a resynced", seconds: 10) { $0.stateStore?.unreachableSince == nil && $0.stateStore?.localPending == 0 }
            try await b.waitFor("serve-b resynced", seconds: 10) { $0.stateStore?.unreachableSince == nil && $0.stateStore?.localPending == 0 }
            // One write-back got in; the other is shown as a conflict, not silently overwritten.
            let events = try await a.pool.currentSnapshot().events + b.pool.currentSnapshot().events
            let written = events.filter { $0.message.hasPrefix("written to etcd: weight two") }
            let conflicts = events.filter { $0.message.hasPrefix("conflict: weight two") && $0.message.contains("was NOT written") }
            #expect(written.count == 1 && conflicts.count == 1, "\(events.suffix(12).map(\.message))")
            // Both agree, and the drain made before the outage is still there.
            let weightA = try await a.waitFor("the same weight everywhere", seconds: 2) { snapshot in snapshot.node(named: "two")?.lastChange?.localOnly == false }.node(named: "two")?.weight
            try await b.waitFor("the same weight everywhere", seconds: 2) { $0.node(named: "two")?.weight == weightA }
            #expect([30, 60].contains(weightA))
            #expect(try await a.node("one").operatorDrained)
            #expect(try await b.node("one").operatorDrained)
            #expect(await a.execute(.undrain(node: "one")).isDone)
        }
    }

    @Test func aCompactionWhileAnInstanceIsBehindMakesItReadTheWholeStateAgain() async throws {
        try await SharedFixture.with { fixture in
            let a = try await fixture.start("serve-a")
            try await fixture.allUp(a)
            // Compacting under a live watch changes nothing for it.
            try await fixture.etcd.etcdctl(["put", "/thrifttop/shared/unrelated", "x"])
            try await fixture.etcd.etcdctl(["compact", String(try await fixture.revision())])
            let b = try await fixture.start("serve-b")
            #expect(await b.execute(.drain(node: "three"), user: "bob").isDone)
            try await a.waitFor("three drained on serve-a", seconds: 1) { $0.node(named: "three")?.operatorDrained == true }

            // A falls behind (its watch dropped and held back); meanwhile B drains, and etcd compacts.
            let resume = Task<Void, Never> { try? await Task.sleep(for: .seconds(3600)) }
            await a.authority.dropWatch(until: resume)
            #expect(await b.execute(.drain(node: "two"), user: "bob").isDone)
            // (etcd keeps the compaction's own revision: one more write puts the drain before it.)
            try await fixture.etcd.etcdctl(["put", "/thrifttop/shared/unrelated", "y"])
            try await fixture.etcd.etcdctl(["compact", String(try await fixture.revision())])
            resume.cancel()
            let caught = try await a.waitFor("two drained on serve-a after the compaction", seconds: 3) { $0.node(named: "two")?.operatorDrained == true }
            #expect(caught.events.contains { $0.message.contains("etcd compacted its history") && $0.message.contains("re-reading the whole shared state") })
        }
    }

    @Test func aMalformedValueWrittenByHandIsNamedAndTheLastGoodValueKept() async throws {
        try await SharedFixture.with { fixture in
            let a = try await fixture.start("serve-a")
            try await fixture.allUp(a)
            #expect(await a.execute(.drain(node: "two"), user: "alice").isDone)
            try await fixture.etcd.etcdctl(["put", "/thrifttop/shared/nodes/two", "drained=yes\u{1B}[31m"])
            let warned = try await a.waitFor("the bad value named", seconds: 2) { snapshot in
                snapshot.events.contains { $0.message.hasPrefix("etcd key /thrifttop/shared/nodes/two: not a thrifttop node state") }
            }
            let event = try #require(warned.events.last { $0.message.hasPrefix("etcd key /thrifttop/shared/nodes/two") })
            #expect(event.message.contains("keeping the last good value (drained, configured weight, by alice on serve-a)"))
            #expect(!event.message.contains("\u{1B}"))
            #expect(try await a.node("two").operatorDrained)
            // An operator's write replaces the bad value.
            #expect(await a.execute(.undrain(node: "two"), user: "alice").isDone)
            let value = try await fixture.etcd.etcdctl(["get", "--print-value-only", "/thrifttop/shared/nodes/two"])
            #expect(value.contains(#""drained":false"#))
        }
    }

    @Test func anInstanceStartingWithEtcdDownRoutesOnItsCacheOrHoldsRoutingUnlessToldOtherwise() async throws {
        try await SharedFixture.with { fixture in
            let first = try await fixture.start("serve-a")
            try await fixture.allUp(first)
            #expect(await first.execute(.drain(node: "one"), user: "alice").isDone)
            await fixture.stop(first)  // waits for the cache to be written
            await fixture.etcd.kill()

            // The same instance again (same cache file): one stays drained, and it says why.
            let again = try await fixture.start("serve-a")
            try await fixture.allUp(again)
            let cached = try await again.pool.currentSnapshot()
            #expect(cached.node(named: "one")?.operatorDrained == true)
            #expect(cached.stateStore?.notice?.contains("started from the local cache") == true)
            _ = try await again.pool.call(DemoService.Work.self, .init(costMicros: 0, payload: [1]))

            // No cache: no routing until the shared state is read.
            let held = try await fixture.start("serve-c", cache: false)
            try await fixture.allUp(held)
            let error = await #expect(throws: PoolCallError.noRoutableNode) {
                _ = try await held.pool.call(DemoService.Work.self, .init(costMicros: 0, payload: [1]))
            }
            #expect(error != nil)
            let summary = try await held.pool.eventLoop.submit { held.pool.unroutableSummary(group: nil) }.get()
            #expect(summary.contains("routing held: the shared state was never read"), "\(summary)")
            #expect(try await held.pool.currentSnapshot().stateStore?.routingHeld == true)
            // Told to route anyway, it does — loudly.
            let loud = try await fixture.start("serve-d", cache: false, startWithoutState: true)
            try await fixture.allUp(loud)
            _ = try await loud.pool.call(DemoService.Work.self, .init(costMicros: 0, payload: [1]))
            #expect(try await loud.pool.currentSnapshot().events.contains { $0.message.contains("routing WITHOUT the shared state") })

            try await fixture.etcd.restart()
            try await held.waitFor("routing once the shared state is read", seconds: 10) { $0.stateStore?.routingHeld == false }
            #expect(try await held.node("one").operatorDrained)
            _ = try await held.pool.call(DemoService.Work.self, .init(costMicros: 0, payload: [1]))
        }
    }

    /// serve's SIGTERM or a dashboard's `q` may come while the first read of the store is under
    /// way; the watch that read leads to must not outlive the stop (it held it for ever, and
    /// with it the process and this suite).
    @Test func anInstanceStoppedAtAnyMomentOfItsStartStops() async throws {
        try await SharedFixture.with { fixture in
            for attempt in 0..<30 {
                let instance = try await fixture.start("serve-\(attempt)")
                try await Task.sleep(for: .microseconds(400 * attempt))
                let stopped = await fixture.stop(instance, within: .seconds(5))
                #expect(stopped, "attempt \(attempt): the stop still waited after 5 s")
                if !stopped { return }
            }
        }
    }

    @Test func aHungEtcdIsFoundAndActionsAreRefusedUntilItAnswersAgain() async throws {
        try await SharedFixture.with { fixture in
            let a = try await fixture.start("serve-a")
            try await fixture.allUp(a)
            fixture.etcd.pause()
            defer { fixture.etcd.resume() }
            // Quiet watch, silence limit 1.5 s, then a status request that times out (1 s).
            try await a.waitFor("the hung store found", seconds: 8) { $0.stateStore?.unreachableSince != nil }
            let refused = await a.execute(.drain(node: "one"))
            #expect(refused.description.hasPrefix("refused: the state store is unreachable"), "\(refused)")
            _ = try await a.pool.call(DemoService.Work.self, .init(costMicros: 0, payload: [1]))
            fixture.etcd.resume()
            try await a.waitFor("etcd answering again", seconds: 8) { $0.stateStore?.unreachableSince == nil }
            #expect(await a.execute(.drain(node: "one")).isDone)
        }
    }

    @Test func aReloadKeepsTheSharedStateAndGivesItToNodesAdded() async throws {
        try await SharedFixture.with(nodes: ["one", "two", "three"]) { fixture in
            let a = try await fixture.start("serve-a")
            try await fixture.allUp(a)
            #expect(await a.execute(.setWeight(node: "one", weight: 7), user: "alice").isDone)
            #expect(await a.execute(.drain(node: "three"), user: "alice").isDone)
            // A new config: three left out, then back with a new configured weight for one.
            var without = a.pool.config
            without.nodes.removeLast()
            #expect(await a.pool.reload(without).isDone)
            var back = fixture.config(instance: "serve-a", minRoutable: 1, cache: true)
            back.nodes[0].weight = 50
            #expect(await a.pool.reload(back).isDone)
            let snapshot = try await a.pool.currentSnapshot()
            #expect(snapshot.node(named: "one")?.weight == 7, "an operator's weight outlives a new configured one")
            #expect(snapshot.node(named: "three")?.operatorDrained == true, "a node added takes the shared state")
        }
    }

    @Test func wrongCredentialsStopTheStartWithAClearError() async throws {
        try await SharedFixture.with { fixture in
            try await fixture.etcd.enableAuth(user: "tt", password: "right-password", prefix: "/thrifttop/")
            let pool = try ClusterPool(config: fixture.config(instance: "serve-x", minRoutable: 1, cache: false), eventLoop: SharedFixture.poolGroup.next())
            let client = EtcdClient(endpoints: [try EtcdEndpoint(parsing: fixture.etcd.endpoint)],
                                    credentials: EtcdCredentials(username: "tt", password: "wrong"), http: fixture.http)
            let settings = EtcdOperatorAuthority.Settings(keys: SharedKeys(prefix: "/thrifttop/shared/"), location: fixture.etcd.endpoint, cacheFile: nil)
            do {
                _ = try await EtcdOperatorAuthority.connect(pool: pool, client: client, settings: settings)
                Issue.record("wrong credentials were accepted")
            } catch {
                let text = "\(error)"
                #expect(text.contains("\"tt\"") && text.contains("authentication failed"), "\(text)")
            }
            await pool.stop()
        }
    }
}

extension SharedFixture {
    /// etcd's current revision, asked through etcdctl's JSON output.
    func revision() async throws -> Int64 {
        let json = try await etcd.etcdctl(["endpoint", "status", "-w", "json"])
        guard let range = json.range(of: #""revision":"#) else { throw SharedValueError(description: "no revision in \(json)") }
        return Int64(json[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }
}
