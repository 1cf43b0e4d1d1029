import ClusterModel
import ClusterPool
import Foundation
import NIOCore
import Testing
import ThriftWire

/// The listener at the moment the product exists for, with Apache Thrift's Python clients and
/// servers: part of the cluster down or hung while an operator drains. Calls are counted at the
/// servers (their own fb303 counters), not by the pool.
@Suite("Proxy under partial failure with Apache Thrift clients and servers", .serialized)
struct ProxyPartialFailureTests {
    /// a, b and c answer (c 5 ms slower); d answers calls but its getStatus raises, so it is down.
    static func fourServers(cSlower: Bool = true) throws -> [(name: String, process: PythonProcess, port: Int)] {
        var servers: [(String, PythonProcess, Int)] = []
        for (name, extra) in [("a", []), ("b", []), ("c", cSlower ? ["--work-delay-ms", "5"] : []), ("d", ["--status-error", "getStatus is broken"])] {
            let (process, port) = try startPythonServer(name: name, extra: extra)
            servers.append((name, process, port))
        }
        return servers
    }

    static var dDown: (String, (ClusterSnapshot) -> Bool) { ("a, b, c up and d down", { snapshot in
        ["a", "b", "c"].allSatisfy { snapshot.node(named: $0)?.health == .up } && snapshot.node(named: "d")?.health == .down
    }) }

    static func load(_ proxy: ProxyFixture, seconds: Double) async throws -> (ok: Int, failed: Int, errors: String) {
        let result = try await pythonProxyClient(port: proxy.port, ["load", "--connections", "8", "--seconds", "\(seconds)", "--cost-micros", "0"],
                                                 seconds: seconds + 60)
        let summary = try #require(result["summary"] as? [String: Any])
        return (summary["ok"] as? Int ?? -1, summary["failed"] as? Int ?? -1, "\(summary["errors"] ?? "")")
    }

    @Test func withTwoNodesDrainedTheUpNodeTakesTheCallsWhileTheDownOneCouldAnswerThem() async throws {
        let servers = try Self.fourServers()
        defer { for server in servers { server.process.stop() } }
        try await ProxyFixture.run(servers.map { ProxyFixture.node($0.name, port: $0.port) }, configure: { $0.minRoutable = 1 }, ready: Self.dDown) { proxy in
            #expect(await proxy.pool.execute(.drain(node: "a")).isDone)
            #expect(await proxy.pool.execute(.drain(node: "b")).isDone)
            let summary = try await Self.load(proxy, seconds: 3)
            #expect(summary.failed == 0, "\(summary.errors)")
            let c = try await pythonCallCount(port: servers[2].port, "work", group: proxy.group)
            let d = try await pythonCallCount(port: servers[3].port, "work", group: proxy.group)
            #expect(c + d == Int64(summary.ok))
            #expect(Double(c) >= 0.95 * Double(c + d), "c \(c), d \(d)")
            print("partial failure: a, b drained: c took \(c) calls, d \(d)")
            // d would have answered: its calls work, only its getStatus raises.
            let direct = try await ThriftConnection.connect(host: "127.0.0.1", port: servers[3].port, protocolKind: .binary, transport: .framed, group: proxy.group)
            #expect(try await direct.call(FB303.GetName.self) == "d")
            await direct.close()
        }
    }

    /// c is as fast as b here: with b hung c is the capacity left, and a balancer cannot give back
    /// capacity that is not there (c 5 ms slower alone serves a fifth of what b and c did).
    @Test func withANodeHungThroughputHoldsAndFewCallsFail() async throws {
        let servers = try Self.fourServers(cSlower: false)
        defer {
            for server in servers {
                kill(server.process.process.processIdentifier, SIGCONT)
                server.process.stop()
            }
        }
        try await ProxyFixture.run(servers.map { ProxyFixture.node($0.name, port: $0.port) }, configure: {
            $0.minRoutable = 1
            $0.proxy.callTimeout = .milliseconds(500)
        }, ready: Self.dDown) { proxy in
            #expect(await proxy.pool.execute(.drain(node: "a")).isDone)
            let before = try await Self.load(proxy, seconds: 3)
            #expect(before.failed == 0, "\(before.errors)")
            // b hangs, as under SIGSTOP: its connections stay open and nothing answers.
            kill(servers[1].process.process.processIdentifier, SIGSTOP)
            let during = try await Self.load(proxy, seconds: 3)
            let total = during.ok + during.failed
            #expect(Double(during.ok) >= 0.5 * Double(before.ok), "\(during.ok) calls in 3 s with b hung, \(before.ok) before")
            #expect(Double(during.failed) <= 0.02 * Double(total), "\(during.failed) of \(total) failed: \(during.errors)")
            let d = try await pythonCallCount(port: servers[3].port, "work", group: proxy.group)
            #expect(d == 0, "the down node took \(d) calls while c had room")
            print("partial failure: b hung: \(during.ok) calls in 3 s (\(before.ok) before), \(during.failed) failed")
        }
    }

    @Test func aOnewayThatKeepsItsServerBusyDoesNotDelayAnotherClientsCall() async throws {
        let (server, port) = try startPythonServer(name: "slow-notes", extra: ["--note-seconds", "1"])
        defer { server.stop() }
        try await ProxyFixture.run([ProxyFixture.node("slow-notes", port: port)]) { proxy in
            // Warm: one call connection open and idle, as under steady traffic.
            _ = try await pythonProxyClient(port: proxy.port, ["basic"])
            for _ in 0..<3 {
                let result = try await pythonProxyClient(port: proxy.port, ["oneway-then-call"])
                #expect(result["ok"] as? String == "after-oneway")
                let ms = try #require(result["ms"] as? Double)
                #expect(ms < 100, "the call after another client's oneway took \(ms) ms")
                print("partial failure: a call after a 1 s oneway took \(ms) ms")
            }
        }
    }
}
