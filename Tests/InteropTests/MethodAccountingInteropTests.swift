import ClusterModel
import ClusterPool
import Foundation
import Testing
import ThriftWire

/// The methods view's figures against what Apache Thrift's generated Python clients saw: three
/// methods through the listener, one answering a declared exception every other call, one
/// multiplexed, and one node that times out every `work`.
@Suite("Methods through the listener (python3-thrift)", .serialized)
struct MethodAccountingInteropTests {
    @Test func perMethodCountsAndOutcomesMatchWhatTheClientsSaw() async throws {
        let (fast, fastPort) = try startPythonServer(name: "fast", extra: ["--multiplexed"])
        defer { fast.stop() }
        // Every work call takes 1 s more there: past the 300 ms attempt timeout.
        let (slow, slowPort) = try startPythonServer(name: "slow", extra: ["--multiplexed", "--work-delay-ms", "1000"])
        defer { slow.stop() }
        try await ProxyFixture.run([ProxyFixture.node("fast", port: fastPort), ProxyFixture.node("slow", port: slowPort)], configure: { config in
            config.proxy.idempotentMethods = [MethodPattern("work")]
            for i in config.nodes.indices { config.nodes[i].settings.callTimeout = .milliseconds(300) }
            config.retry.maxAttempts = 3
        }) { proxy in
            let rounds = 20
            let seen = try await pythonProxyClient(port: proxy.port, ["methods", "--calls", "\(rounds)", "--cost-micros", "100"])
            // What the client saw: work half answered, half WorkFailed; the others answered.
            #expect(seen["work"] as? [String: Int] == ["ok": rounds / 2, "declared": rounds / 2])
            #expect(seen["getName"] as? [String: Int] == ["ok": rounds])
            #expect(seen["Billing:charge"] as? [String: Int] == ["ok": rounds])

            let methods = try await proxy.pool.currentSnapshot().methods
            let work = try #require(methods.first { $0.name == "work" })
            #expect(work.outcomes.success == rounds / 2)
            #expect(work.outcomes.declaredException == rounds / 2)
            #expect(work.outcomes.failed == 0, "every timeout on slow was retried on fast")
            // The slow node's work attempts that were not declared exceptions timed out there.
            let onSlow = work.nodes.first { $0.node == "slow" }?.outcomes
            #expect((onSlow?.success ?? 0) == 0)
            if let onSlow { #expect(onSlow.timeout + onSlow.declaredException == onSlow.total) }
            #expect(methods.first { $0.name == "getName" }?.outcomes.success == rounds)
            // The multiplexed call is shown by its full name.
            let charge = try #require(methods.first { $0.name == "Billing:charge" })
            #expect(charge.outcomes.success == rounds)
            #expect(charge.nodes.map(\.outcomes.total).reduce(0, +) == rounds)
        }
    }
}
