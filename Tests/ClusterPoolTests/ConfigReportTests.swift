import ConfigFormat
import Foundation
import Testing
@testable import ClusterPool

/// What a config's reader is told: every problem at once, each with its line and the node by its
/// name; what the pool will do differently from what was written; and a reference that documents
/// every key the loader takes.
@Suite("Config reports")
struct ConfigReportTests {
    @Test func everyProblemGetsALineAndNodesAreNamedByName() {
        let text = """
        name = "shop"
        [default]
        call_timeout_ms = 5

        [[node]]
        name = "alpha"
        address = "127.0.0.1:9001"
        protocl = "binary"

        [[node]]
        name = "bravo"
        address = "127.0.0.1:9002"
        weight = 5000
        """
        #expect(throws: ConfigError.self) { try ClusterConfig(parsing: text, file: "shop.toml") }
        do {
            _ = try ClusterConfig(parsing: text, file: "shop.toml")
        } catch let error as ConfigError {
            #expect(error.description.split(separator: "\n") == [
                "shop.toml:2: default: unknown key (did you mean \"defaults\"?)",
                "shop.toml:8: node \"alpha\".protocl: unknown key (did you mean \"protocol\"?)",
                "shop.toml:13: node \"bravo\".weight: must be from 0 to 1000 (got 5000)",
            ])
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func problemsAfterANodesAreReportedTooAndBadDefaultsAreNotBlamedOnEveryNode() {
        func problems(_ text: String) -> [String] {
            do {
                _ = try ClusterConfig(parsing: text, file: "c.toml")
                return []
            } catch let error as ConfigError {
                return error.all.map(\.description)
            } catch {
                return ["\(error)"]
            }
        }
        #expect(problems("balancer = \"rnd\"\n[[node]]\nname = \"a\"\naddress = \"nowhere\"\n[health]\nfal = 3\n") == [
            "c.toml:1: balancer: must be one of round-robin, random, least-outstanding, p2c-peak-ewma",
            "c.toml:4: node \"a\".address: expected HOST:PORT (got \"nowhere\")",
            "c.toml:6: health.fal: unknown key (did you mean \"fall\"?)",
        ])
        // A TLS setting in broken defaults: one problem, not one per node that leans on them.
        #expect(problems("[defaults]\ntls = \"yes\"\n[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\ntls_ca_file = \"ca.pem\"\n")
            == ["c.toml:2: defaults.tls: must be true or false"])
    }

    @Test func aCallTimeoutBeyondTheIntervalIsWarnedWithTheEffectiveHeartbeatTimeout() throws {
        let slow = try ClusterConfig(parsing: """
            [defaults]
            heartbeat_interval_ms = 500
            [[node]]
            name = "alpha"
            address = "127.0.0.1:9001"
            [[node]]
            name = "bravo"
            address = "127.0.0.1:9002"
            heartbeat_interval_ms = 1000
            """, file: "t.toml")
        #expect(slow.warnings == [
            "node alpha: heartbeats time out after 480 ms, not call_timeout_ms 1000: a heartbeat must fail before the next is due "
                + "(heartbeat_interval_ms 500); a server slower than that is marked failing",
        ])
        #expect(slow.nodes[0].settings.heartbeatTimeout() == .milliseconds(480))
        // The defaults (1 s and 1 s) are no surprise: no warning.
        let plain = try ClusterConfig(parsing: "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:9001\"\n", file: "t.toml")
        #expect(plain.warnings.isEmpty)
        #expect(plain.nodes[0].settings.heartbeatTimeout() == .milliseconds(980))
    }

    @Test func theConfigurationReferenceDocumentsEveryKeyTheLoaderAccepts() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/configuration.md")
        let reference = try String(contentsOf: docs, encoding: .utf8)
        for (table, keys) in ClusterConfig.acceptedKeys {
            for key in keys {
                #expect(reference.contains("`\(key)`"), "docs/configuration.md does not document \(table) `\(key)`")
            }
        }
    }
}
