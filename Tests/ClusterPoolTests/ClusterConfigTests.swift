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

    @Test func listenersProxySettingsAndRoutesParse() throws {
        let config = try ClusterConfig(parsing: """
            [defaults]
            max_connections = 4

            [proxy]
            idempotent_methods = ["get*", "ping"]
            call_timeout_ms = 750
            shutdown_grace_s = 2.5

            [[listener]]
            address = "127.0.0.1:9090"

            [[listener]]
            address = "[::1]:0"
            protocol = "binary"
            transport = "unframed"
            max_connections = 50
            idle_timeout_s = 30

            [[route]]
            service = "Billing"
            group = "billing"

            [[route]]
            method = "charge*"
            group = "billing"

            [[node]]
            name = "a"
            address = "127.0.0.1:1"
            max_pending = 10

            [[node]]
            name = "b"
            address = "127.0.0.1:2"
            group = "billing"
            """, file: "c.toml")
        #expect(config.listeners.count == 2)
        #expect(config.listeners[0].address == NodeAddress(host: "127.0.0.1", port: 9090))
        #expect(config.listeners[0].protocolKind == .auto && config.listeners[0].transport == .auto)
        #expect(config.listeners[0].maxConnections == 10_000 && config.listeners[0].idleTimeout == .seconds(300))
        #expect(config.listeners[1].address == NodeAddress(host: "::1", port: 0))
        #expect(config.listeners[1].protocolKind == .fixed(.binary) && config.listeners[1].transport == .fixed(.unframed))
        #expect(config.listeners[1].maxConnections == 50 && config.listeners[1].idleTimeout == .seconds(30))
        #expect(config.proxy.isIdempotent("getUser") && config.proxy.isIdempotent("ping") && !config.proxy.isIdempotent("pingAll"))
        #expect(config.proxy.callTimeout == .milliseconds(750) && config.proxy.shutdownGrace == .milliseconds(2500))
        #expect(config.nodes.map(\.settings.maxConnections) == [4, 4])
        #expect(config.nodes.map(\.settings.maxPending) == [10, 1000])
        #expect(config.routes.group(for: "Billing:refund") == "billing")
        #expect(config.routes.group(for: "Users:chargeback") == "billing", "method routes match the name after Service:")
        #expect(config.routes.group(for: "getUser") == nil, "unmatched calls go to every node")
        #expect(config.routes.group(for: "BillingX:get") == nil)
    }

    @Test func proxyConfigErrorsNameTheKey() {
        let node = "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\ngroup = \"billing\"\n"
        #expect(error(node + "[[listener]]\nport = 9090") == "c.toml:6: listener[0].port: unknown key")
        #expect(error(node + "[[listener]]\nprotocol = \"binary\"")
                == "c.toml:5: listener[0]: every [[listener]] needs an address (HOST:PORT, e.g. \"127.0.0.1:9090\")")
        #expect(error(node + "[[listener]]\naddress = \"127.0.0.1:9090\"\ntransport = \"zlib\"")
                == "c.toml:7: listener[0].transport: must be one of auto, framed, unframed, header, http (got \"zlib\")")
        #expect(error(node + "[[route]]\nservice = \"Billing\"\ngroup = \"biling\"")
                == "c.toml:7: route[0].group: no node has group \"biling\" (did you mean \"billing\"?)")
        #expect(error(node + "[[route]]\nservice = \"Billing\"\nmethod = \"x\"\ngroup = \"billing\"")
                == "c.toml:5: route[0]: a [[route]] matches a service or a method, not both")
        #expect(error(node + "[proxy]\nidempotent_methods = [\"g*t\"]")
                == "c.toml:6: proxy.idempotent_methods: \"g*t\": an exact method name, or a prefix ending in * (e.g. \"get*\")")
        #expect(error(node + "max_connections = 0") == "c.toml:5: node \"a\".max_connections: must be from 1 to 10000 (got 0)")
    }

    @Test func metricsPerNodeHistogramsIsOffUnlessSet() throws {
        let node = "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n"
        #expect(try ClusterConfig(parsing: node, file: "c.toml").metrics.perNodeHistograms == false)
        #expect(try ClusterConfig(parsing: node + "[metrics]\nper_node_histograms = true", file: "c.toml").metrics.perNodeHistograms)
        #expect(error(node + "[metrics]\nper_node_histograms = 1") == "c.toml:5: metrics.per_node_histograms: must be true or false")
        #expect(error(node + "[metrics]\nper_node_histogram = true")
                == "c.toml:5: metrics.per_node_histogram: unknown key (did you mean \"per_node_histograms\"?)")
    }

    @Test func validationErrorsNameFileLineAndField() {
        let node = "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n"
        #expect(error(node + "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:2\"")
                == "c.toml:5: node \"a\".name: duplicate node name \"a\"")
        #expect(error("[[node]]\nname = \"a\"\naddress = \"localhost\"")
                == "c.toml:3: node \"a\".address: expected HOST:PORT (got \"localhost\")")
        #expect(error(node + "weight = 1001") == "c.toml:4: node \"a\".weight: must be from 0 to 1000 (got 1001)")
        #expect(error("[defaults]\nheartbeat_interval_ms = 0\n" + node)
                == "c.toml:2: defaults.heartbeat_interval_ms: must be from 10 to 3600000 (got 0)")
        #expect(error(node + "heartbeat_interval_ms = -5") == "c.toml:4: node \"a\".heartbeat_interval_ms: must be from 10 to 3600000 (got -5)")
        #expect(error(node + "wieght = 3") == "c.toml:4: node \"a\".wieght: unknown key (did you mean \"weight\"?)")
        #expect(error("balancer = \"p2c\"\n" + node)?.hasPrefix("c.toml:1: balancer: must be one of round-robin, random, least-outstanding, p2c-peak-ewma") == true)
        #expect(error(node + "[[node]]\nname = \"b\"\naddress = \"127.0.0.1:1\"") == "c.toml:6: node \"b\".address: 127.0.0.1:1 is already node \"a\"")
        #expect(error("name = \"x\"") == "c.toml: node: a cluster needs at least one [[node]] with a name and an address")
        #expect(error("[[node]]\nname = \"a b\"\naddress = \"h:1\"") == "c.toml:2: node \"a b\".name: must be 1–64 printable characters without spaces")
        #expect(error("[retry]\nmax_attempts = 0\n" + node) == "c.toml:2: retry.max_attempts: must be from 1 to 10 (got 0)")
    }

    @Test func alertsParseWithTheirDefaults() throws {
        let node = "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n"
        let none = try ClusterConfig(parsing: node, file: "c.toml")
        #expect(none.alerts.command == nil)
        let config = try ClusterConfig(parsing: node + "[alerts]\ncommand = [\"/usr/local/bin/page\", \"--team\", \"db\"]\n", file: "c.toml")
        #expect(config.alerts.command == ["/usr/local/bin/page", "--team", "db"])
        #expect(config.alerts.minInterval == .seconds(30))
        #expect(config.alerts.timeout == .seconds(10))
        let set = try ClusterConfig(parsing: node + "[alerts]\ncommand = [\"page\"]\nmin_interval_s = 5\ntimeout_s = 1.5\n", file: "c.toml")
        #expect(set.alerts.minInterval == .seconds(5) && set.alerts.timeout == .milliseconds(1500))
    }

    @Test func alertConfigErrorsNameTheKey() {
        let node = "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n[alerts]\n"
        #expect(error(node + "command = []") == "c.toml:5: alerts.command: must name a program: [\"PROGRAM\", \"ARG\", …] (got an empty array)")
        #expect(error(node + "command = [\"page\", 3]")
                == "c.toml:5: alerts.command: must be an array of strings: the program and its arguments, run without a shell (e.g. [\"/usr/local/bin/page\", \"--team\", \"db\"])")
        #expect(error(node + "command = \"page --team db\"")?.hasPrefix("c.toml:5: alerts.command: must be an array of strings") == true)
        #expect(error(node + "command = [\"page\"]\ntimeout_s = 0") == "c.toml:6: alerts.timeout_s: must be from 0.1 to 3600.0 (got 0.0)")
        #expect(error(node + "command = [\"page\"]\nmin_interval = 3") == "c.toml:6: alerts.min_interval: unknown key (did you mean \"min_interval_s\"?)")
    }

    @Test func stateIsTheFileUnlessEtcdIsAskedForWithItsEndpoints() throws {
        let node = "name = \"prod\"\n[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n"
        let plain = try ClusterConfig(parsing: node, file: "c.toml")
        #expect(plain.state.store == .file && plain.state.keyPrefix(cluster: plain.name) == "/thrifttop/prod/")
        let etcd = try ClusterConfig(parsing: node + "[state]\nstore = \"etcd\"\nendpoints = [\"http://10.0.0.1:2379\", \"http://10.0.0.2:2379\"]\nprefix = \"/tt/prod\"\nusername = \"tt\"\npassword_file = \"/etc/tt.pw\"\n", file: "c.toml")
        #expect(etcd.state.store == .etcd && etcd.state.endpoints.count == 2)
        #expect(etcd.state.keyPrefix(cluster: "prod") == "/tt/prod/")
        #expect(etcd.state.username == "tt" && etcd.state.passwordFile == "/etc/tt.pw")
    }

    @Test func stateConfigErrorsNameTheKey() {
        let node = "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n[state]\n"
        #expect(error(node + "store = \"redis\"") == "c.toml:5: state.store: must be \"file\" (state_file, this instance only) or \"etcd\" (shared by every instance) (got \"redis\")")
        #expect(error(node + "store = \"etcd\"") == "c.toml:4: state.endpoints: store = \"etcd\" needs endpoints = [\"http://HOST:2379\", …]")
        #expect(error(node + "endpoints = [\"http://h:2379\"]") == "c.toml:5: state.endpoints: is for store = \"etcd\"; this [state] keeps the state in state_file")
        #expect(error(node + "store = \"etcd\"\nendpoints = [\"h:2379\"]") == "c.toml:6: state.endpoints: \"h:2379\" is not an etcd endpoint (http://HOST:PORT or https://HOST:PORT)")
        #expect(error(node + "store = \"etcd\"\nendpoints = [\"http://h:2379/v3\"]") == "c.toml:6: state.endpoints: \"http://h:2379/v3\" is not an etcd endpoint (http://HOST:PORT or https://HOST:PORT)")
        #expect(error(node + "store = \"etcd\"\nendpoints = [\"http://h:2379\"]\nusername = \"tt\"")
                == "c.toml:7: state.username: username and password_file go together (etcd authentication)")
        #expect(error(node + "store = \"etcd\"\nendpoints = [\"http://h:2379\"]\nprefix = \"no slash\"")?.contains("must be a key path that starts with /") == true)
    }
}
