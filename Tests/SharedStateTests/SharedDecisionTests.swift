import ClusterModel
import Foundation
import ClusterPool
import EtcdClient
import Testing
@testable import SharedState

/// The decision and the view alone: the capacity floor's arithmetic and what a value under the
/// prefix does to the view, without etcd.
@Suite("Shared decisions and view")
struct SharedDecisionTests {
    let keys = SharedKeys(prefix: "/thrifttop/prod/")

    func kv(_ name: String, _ json: String, mod: Int64) -> EtcdKeyValue {
        EtcdKeyValue(key: keys.node(name), value: Array(json.utf8), createRevision: mod, modRevision: mod, version: 1)
    }

    func record(drained: Bool, weight: Int? = nil, user: String = "alice") -> String {
        String(decoding: SharedNodeRecord(drained: drained, weight: weight, change: OperatorChange(
            user: user, instance: "serve-a", time: 1_795_000_000, action: drained ? "drain" : "undrain")).encoded(), as: UTF8.self)
    }

    func view(_ kvs: [EtcdKeyValue], revision: Int64 = 10) -> SharedView {
        var view = SharedView(keys: keys)
        _ = view.replace(with: EtcdRange(revision: revision, kvs: kvs), announcing: false)
        return view
    }

    func context(_ view: SharedView, healthy: [String: Bool] = [:], minRoutable: Int = 2) -> SharedDecision.Context {
        let nodes = ["a", "b", "c"].map { OperatorNodeView(name: $0, serving: healthy[$0] ?? true) }
        return SharedDecision.Context(view: view, nodes: nodes, settings: OperatorRuleSettings(minRoutable: minRoutable, panicThreshold: 0.5), user: "bob", instance: "serve-b", time: 1_795_000_100, reason: "deploy")
    }

    @Test func aDrainCountsNodesNotDrainedInTheSharedStateThatThisInstanceSeesHealthy() throws {
        let shared = view([kv("a", record(drained: true), mod: 7)])
        // a drained (shared), c down (here): draining b would leave none.
        let refused = SharedDecision.decide(.drain(node: "b"), context(shared, healthy: ["c": false], minRoutable: 1))
        #expect(refused == .refuse("draining b would leave 0 routable nodes, fewer than min_routable 1 (:drain b force overrides)"))
        // With c healthy it is allowed, on condition that no node key changed since revision 10.
        guard case let .write(node, written, compare, done) = SharedDecision.decide(.drain(node: "b"), context(shared, minRoutable: 1)) else {
            Issue.record("expected a write")
            return
        }
        #expect(node == "b" && written.drained && written.user == "bob" && written.instance == "serve-b" && written.reason == "deploy")
        #expect(compare == [.noneModifiedSince(prefix: "/thrifttop/prod/nodes/", revision: 10)])
        #expect(done == "drained b on every instance")
        // A forced drain ignores the floor and only needs its own key unchanged.
        guard case let .write(_, _, forced, _) = SharedDecision.decide(.drain(node: "b", force: true), context(shared, healthy: ["c": false], minRoutable: 1)) else {
            Issue.record("expected a write")
            return
        }
        #expect(forced == [.modRevision(key: "/thrifttop/prod/nodes/b", equals: 0)])
        // Weight 0 in the shared state is not routable either.
        let weightZero = view([kv("c", record(drained: false, weight: 0), mod: 8)])
        #expect(SharedDecision.decide(.drain(node: "b"), context(weightZero, minRoutable: 1)) == .write(
            node: "b", record: SharedNodeRecord(drained: true, weight: nil, change: OperatorChange(user: "bob", instance: "serve-b", time: 1_795_000_100, action: "drain b", reason: "deploy")),
            compare: [.noneModifiedSince(prefix: "/thrifttop/prod/nodes/", revision: 10)], done: "drained b on every instance"))
        #expect(SharedDecision.decide(.drain(node: "b"), context(weightZero, minRoutable: 2)).isRefusal)
    }

    @Test func refusalsNameWhoAndWhat() {
        let shared = view([kv("a", record(drained: true), mod: 7)])
        #expect(SharedDecision.decide(.drain(node: "a"), context(shared)) == .refuse("a is already drained (by alice on serve-a at 11:06:40 UTC)"))
        #expect(SharedDecision.decide(.undrain(node: "b"), context(shared)) == .refuse("b is not drained"))
        #expect(SharedDecision.decide(.setWeight(node: "b", weight: 1001), context(shared)) == .refuse("weight must be from 0 to 1000 (got 1001)"))
        #expect(SharedDecision.decide(.setWeight(node: "b", weight: 100), context(shared)) == .refuse("b already has weight 100"))
        #expect(SharedDecision.decide(.resetWeight(node: "b"), context(shared)) == .refuse("b already has its configured weight 100"))
        #expect(SharedDecision.decide(.drain(node: "bb"), context(shared)) == .refuse("no node named \"bb\" (did you mean b?)"))
    }

    @Test func aMalformedValueKeepsTheLastGoodOneIsReportedOnceAndCountsForTheNextWrite() {
        var shared = view([kv("a", record(drained: true), mod: 7)])
        let bad = EtcdWatchBatch(revision: 11, events: [.put(kv("a", "{\"drained\": \"yes\"}", mod: 11))])
        let applied = shared.apply(bad)
        #expect(applied.warnings.count == 1)
        #expect(applied.warnings.first?.hasPrefix("etcd key /thrifttop/prod/nodes/a: not a thrifttop node state") == true)
        #expect(applied.warnings.first?.hasSuffix("keeping the last good value (drained, configured weight, by alice on serve-a)") == true)
        #expect(shared.entries["a"]?.record.drained == true)
        #expect(shared.modRevision(of: "a") == 11)
        // The same bad value again (a full read) is not reported twice.
        #expect(shared.replace(with: EtcdRange(revision: 12, kvs: [kv("a", "{\"drained\": \"yes\"}", mod: 11)]), announcing: true).warnings.isEmpty)
        // A weight out of range is named as such.
        let outOfRange = shared.apply(EtcdWatchBatch(revision: 13, events: [.put(kv("b", record(drained: false, weight: 5000), mod: 13))]))
        #expect(outOfRange.warnings == ["etcd key /thrifttop/prod/nodes/b: weight 5000 is outside 0–1000; ignored (b has no earlier shared value: serving at its configured weight)"])
        // Keys thrifttop does not write are noted once; history is not a node.
        let other = shared.apply(EtcdWatchBatch(revision: 14, events: [
            .put(EtcdKeyValue(key: "/thrifttop/prod/mystery", value: [1], createRevision: 14, modRevision: 14, version: 1)),
            .put(EtcdKeyValue(key: "/thrifttop/prod/history/x", value: [1], createRevision: 14, modRevision: 14, version: 1)),
        ]))
        #expect(other.notes == ["etcd key /thrifttop/prod/mystery under the prefix is not one thrifttop writes (nodes/NAME, history/…); ignored"])
        #expect(!other.changed)
    }

    @Test func changesFromElsewhereAreAnnouncedAndDeletesServeAgain() {
        var shared = view([])
        let applied = shared.apply(EtcdWatchBatch(revision: 11, events: [.put(kv("b", record(drained: true, user: "carol"), mod: 11))]))
        #expect(applied.announce["b"]?.user == "carol")
        #expect(shared.poolState["b"]?.drained == true)
        let deleted = shared.apply(EtcdWatchBatch(revision: 12, events: [.delete(key: keys.node("b"), modRevision: 12)]))
        #expect(deleted.notes == ["etcd key /thrifttop/prod/nodes/b was deleted: b is serving at its configured weight"])
        #expect(shared.poolState["b"] == nil && shared.revision == 12)
    }

    @Test func anOwnWriteAdvancesTheViewOnlyWhenItWasTheStoresOneChangeSince() {
        var shared = view([], revision: 10)
        let written = SharedNodeRecord(drained: true, weight: nil, change: OperatorChange(user: "bob", instance: "b", time: 0, action: "drain a"))
        shared.wrote("a", written, txnRevision: 11)
        #expect(shared.revision == 11)
        shared.wrote("b", written, txnRevision: 15)
        #expect(shared.revision == 11 && shared.modRevision(of: "b") == 15)
    }

    @Test func theCacheKeepsTheViewAndTheActionsStillToWriteBackAndABadOneIsNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("state.json").path
        let shared = view([kv("a", record(drained: true), mod: 7)], revision: 9)
        var pending = LocalChanges()
        pending.add("b", base: 0, record: SharedNodeRecord(drained: true, weight: 5, change: OperatorChange(
            user: "bob", instance: "serve-b", time: 1_795_000_000, action: "drain b", localOnly: true)), action: "drain b")
        try SharedStateCache(view: shared, pending: pending, written: 1_795_000_100).write(to: file)
        let read = try #require(try SharedStateCache.read(file))
        #expect(read.revision == 9 && read.nodes["a"]?.modRevision == 7 && read.pending == pending)
        let restored = SharedView(keys: keys, cache: read)
        #expect(restored.modRevision(of: "a") == 7 && restored.poolState["a"]?.drained == true)
        try "{\"schema_version\": 1, \"nodes\": {}}".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: SharedValueError(description: "\(file) is not a thrifttop shared-state cache (schema_version, etcd_revision, written, nodes): \"etcd_revision\" is missing")) {
            _ = try SharedStateCache.read(file)
        }
    }

    @Test func keysReadLikeATable() {
        #expect(keys.node("db-3") == "/thrifttop/prod/nodes/db-3")
        #expect(keys.nodeName(of: "/thrifttop/prod/nodes/db-3") == "db-3")
        #expect(keys.nodeName(of: "/thrifttop/prod/history/x") == nil)
        #expect(keys.historyKey(time: 1_795_000_000.5, instance: "serve-a").hasPrefix("/thrifttop/prod/history/20261118T110640"))
    }
}

extension SharedDecision {
    var isRefusal: Bool {
        if case .refuse = self { return true }
        return false
    }
}
