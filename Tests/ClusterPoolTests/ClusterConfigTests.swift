import Foundation
import NIOCore
import Testing
@testable import ClusterPool

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("Cluster config")
struct ClusterConfigTests {
    func error(_ text: String) -> String? {
        do {
            _ = try ClusterConfig(parsing: text, file: "c.toml")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aFullConfigParsesWithDefaultsAndOverrides() throws {
        let config = try ClusterConfig(parsing: """
            name = "east"
            balancer = "least-outstanding"
            min_routable = 2
            state_file = "/tmp/x.json"

            [defaults]
            heartbeat_interval_ms = 500
            protocol = "compact"
            weight = 50

            [health]
            fall = 4
            phi_threshold = 10

            [[node]]
            name = "a"
            address = "10.0.0.1:9090"
            tags = ["canary", "rack1"]
            group = "rack1"

            [[node]]
            name = "b"
            address = "[::1]:9091"
            weight = 300
            transport = "unframed"
            heartbeat_method = "ping"

            [[node]]
            name = "c"
            address = "thrift-c.internal:9092"
            """, file: "c.toml")
        #expect(config.name == "east")
        #expect(config.balancer == .leastOutstanding)
        #expect(config.minRoutable == 2)
        #expect(config.health.fall == 4 && config.health.rise == 2 && config.health.phiThreshold == 10)
        #expect(config.nodes.map(\.weight) == [50, 300, 50])
        #expect(config.nodes[0].tags == ["canary", "rack1"])
        #expect(config.nodes[1].settings.heartbeat == .method("ping"))
        #expect(config.nodes[1].settings.transport == .unframed)
        #expect(config.nodes.allSatisfy { $0.settings.heartbeatInterval == .milliseconds(500) && $0.settings.protocolKind == .compact })
        #expect(config.nodes[2].address == NodeAddress(host: "thrift-c.internal", port: 9092))
    }

    @Test func theDemoClusterConfigParses() throws {
        let path = repositoryRoot.appendingPathComponent("demo/cluster.toml").path
        let config = try ClusterConfig(parsing: String(contentsOfFile: path, encoding: .utf8), file: path)
        #expect(config.nodes.count >= 8)
    }

    @Test func validationErrorsNameFileLineAndField() {
        let node = "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n"
        #expect(error(node + "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:2\"")
                == "c.toml:5: node[1].name: duplicate node name \"a\"")
        #expect(error("[[node]]\nname = \"a\"\naddress = \"localhost\"")
                == "c.toml:3: node[0].address: expected HOST:PORT (got \"localhost\")")
        #expect(error(node + "weight = 1001") == "c.toml:4: node[0].weight: must be from 0 to 1000 (got 1001)")
        #expect(error("[defaults]\nheartbeat_interval_ms = 0\n" + node)
                == "c.toml:2: defaults.heartbeat_interval_ms: must be from 10 to 3600000 (got 0)")
        #expect(error(node + "heartbeat_interval_ms = -5") == "c.toml:4: node[0].heartbeat_interval_ms: must be from 10 to 3600000 (got -5)")
        #expect(error(node + "wieght = 3") == "c.toml:4: node[0].wieght: unknown key (did you mean \"weight\"?)")
        #expect(error("balancer = \"p2c\"\n" + node)?.hasPrefix("c.toml:1: balancer: must be one of round-robin, random, least-outstanding, p2c-peak-ewma") == true)
        #expect(error(node + "[[node]]\nname = \"b\"\naddress = \"127.0.0.1:1\"") == "c.toml:6: node[1].address: 127.0.0.1:1 is already node \"a\"")
        #expect(error("name = \"x\"") == "c.toml: node: a cluster needs at least one [[node]] with a name and an address")
        #expect(error("[[node]]\nname = \"a b\"\naddress = \"h:1\"") == "c.toml:2: node[0].name: must be 1–64 printable characters without spaces")
        #expect(error("[retry]\nmax_attempts = 0\n" + node) == "c.toml:2: retry.max_attempts: must be from 1 to 10 (got 0)")
    }
}
