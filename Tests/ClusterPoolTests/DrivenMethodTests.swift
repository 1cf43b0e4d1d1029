import ClusterModel
import NIOCore
import NIOEmbedded
import Testing
import ThriftWire
@testable import ClusterPool

/// Per-method accounting on a driven clock: every call by method and outcome, per cluster and
/// per node and attempt; bounded by `max_methods`.
@Suite("Methods on a driven clock")
struct DrivenMethodTests {
    @Test func callsAreCountedByMethodAndOutcomeForTheClusterAndEachNode() throws {
        let cluster = try DrivenCluster(["a", "b"])
        cluster.at(ms: 10)
        var t: Int64 = 10
        func calls(_ method: String, _ n: Int, idempotent: Bool = false) {
            for _ in 0 ..< n {
                _ = cluster.call(method, idempotent: idempotent, timeout: .milliseconds(500))
                t += 10
                cluster.at(ms: t)
            }
        }
        calls("work", 20)
        cluster["b"].callBehaviour = .raise(TApplicationException(.internalError, message: "boom"))
        calls("fail", 20)
        cluster["b"].callBehaviour = nil
        // A oneway: sent, nothing to wait for.
        _ = cluster.call("note", oneway: true)
        // A second on, the whole seconds of the calls are in the rate.
        t += 1000
        cluster.at(ms: t)

        let methods = cluster.core.buildSnapshot().methods
        let work = try #require(methods.first { $0.name == "work" })
        #expect(work.outcomes.success == 20 && work.outcomes.failed == 0)
        #expect(work.nodes.map(\.node).sorted() == ["a", "b"])
        #expect(work.nodes.map(\.outcomes.total).reduce(0, +) == 20)
        let fail = try #require(methods.first { $0.name == "fail" })
        // What b answered is an INTERNAL_ERROR there; a's calls succeed.
        let onB = try #require(fail.nodes.first { $0.node == "b" })
        #expect(onB.outcomes.applicationException == ["INTERNAL_ERROR": onB.outcomes.total])
        #expect(fail.outcomes.applicationException["INTERNAL_ERROR"] == onB.outcomes.total)
        #expect(fail.outcomes.success + fail.outcomes.applicationExceptions == 20)
        let note = try #require(methods.first { $0.name == "note" })
        #expect(note.outcomes.sent == 1)
        #expect(work.latencyP50 != nil && work.callsPerSecond > 0)
    }

    @Test func theOutcomesAreThoseOfTheLastMinuteNotSinceStart() throws {
        let cluster = try DrivenCluster(["a"])
        cluster.at(ms: 10)
        cluster["a"].callBehaviour = .raise(TApplicationException(.internalError, message: "outage"))
        var t: Int64 = 10
        for _ in 0 ..< 10 {
            _ = cluster.call("get")
            t += 10
            cluster.at(ms: t)
        }
        #expect(cluster.core.buildSnapshot().methods.first?.outcomes.errorRate == 1)
        // The outage ends; a minute later the figures show the calls since, all answered.
        cluster["a"].callBehaviour = nil
        t += 61_000
        cluster.at(ms: t)
        for _ in 0 ..< 10 {
            _ = cluster.call("get")
            t += 10
            cluster.at(ms: t)
        }
        let get = try #require(cluster.core.buildSnapshot().methods.first)
        #expect(get.outcomes.success == 10 && get.outcomes.failed == 0)
        #expect(get.nodes.first?.outcomes.total == 10)
    }

    @Test func aTimeoutOnOneNodeRetriedElsewhereCountsOnThatNodeAndAsASuccess() throws {
        let cluster = try DrivenCluster(["a", "slow"])
        cluster.at(ms: 10)
        cluster["slow"].callBehaviour = .hang
        var t: Int64 = 10
        for _ in 0 ..< 20 {
            _ = cluster.call("get", idempotent: true, timeout: .seconds(2))
            t += 300
            cluster.at(ms: t)
        }
        let get = try #require(cluster.core.buildSnapshot().methods.first { $0.name == "get" })
        let slow = try #require(get.nodes.first { $0.node == "slow" })
        #expect(slow.outcomes.timeout > 0)
        #expect(slow.outcomes.success == 0)
        #expect(get.outcomes.success == 20, "every call was answered, after a retry when it went to slow first")
    }

    @Test func methodsPastTheCapAreOtherAndSaidOnce() throws {
        let cluster = try DrivenCluster(["a"], configure: { $0.metrics.maxMethods = 3 })
        cluster.at(ms: 10)
        var t: Int64 = 10
        for i in 0 ..< 50 {
            _ = cluster.call("m\(i)")
            t += 5
            cluster.at(ms: t)
        }
        let methods = cluster.core.buildSnapshot().methods
        #expect(methods.map(\.name) == ["m0", "m1", "m2", MethodSnapshot.otherName])
        #expect(methods.last?.outcomes.success == 47)
        let said = cluster.events().filter { $0.message.contains("distinct methods called") }
        #expect(said.count == 1)
        #expect(said.first?.message.contains("\"m3\" the first past them") == true)
    }

    @Test func namesThatCleanAlikeAreOneMethodAndOtherIsNeverAClientsOwn() throws {
        let cluster = try DrivenCluster(["a"], configure: { $0.metrics.maxMethods = 2 })
        cluster.at(ms: 10)
        var t: Int64 = 10
        for name in ["get", "get\u{0}", "(other)", "put", "del", "(other)"] {
            _ = cluster.call(name)
            t += 10
            cluster.at(ms: t)
        }
        let methods = cluster.core.buildSnapshot().methods
        // get and get\0 are one; a client's "(other)" is counted with the methods past the cap.
        #expect(methods.map(\.name) == ["get", MethodSnapshot.otherName, "put"])
        #expect(methods.first { $0.name == "get" }?.outcomes.success == 2)
        #expect(methods.first { $0.name == MethodSnapshot.otherName }?.outcomes.success == 3)
        let said = cluster.events().filter { $0.message.contains("distinct methods called") }
        #expect(said.count == 1)
        #expect(said.first?.message.contains("\"del\" the first past them") == true)
    }

    @Test func aThousandInventedNamesStayWithinTheCapAndNamesAreCleaned() throws {
        let cluster = try DrivenCluster(["a"])
        cluster.at(ms: 10)
        var t: Int64 = 10
        _ = cluster.call("evil\u{1b}[2J")
        for i in 0 ..< 1000 {
            _ = cluster.call("invented-\(i)")
            t += 1
            cluster.at(ms: t)
        }
        let methods = cluster.core.buildSnapshot().methods
        // 200 by name (the default max_methods), then one (other) for the other 801 calls.
        #expect(methods.count == 201)
        #expect(cluster.core.rates.methods.records.count == 201)
        #expect(methods.last?.name == MethodSnapshot.otherName && methods.last?.outcomes.total == 801)
        #expect(!methods.contains { $0.name.unicodeScalars.contains { $0.value < 0x20 } })
    }
}
