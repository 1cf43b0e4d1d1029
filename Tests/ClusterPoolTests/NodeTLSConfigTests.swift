import Testing
@testable import ClusterPool

/// The node `tls` keys: layered from `[defaults]`, and every mistake named with file and line.
@Suite("Node TLS config")
struct NodeTLSConfigTests {
    func parse(_ text: String) throws -> ClusterConfig {
        try ClusterConfig(parsing: text, file: "c.toml")
    }

    func error(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func defaultsCarryTheTLSKeysToNodesThatTurnTLSOn() throws {
        let config = try parse("""
            [defaults]
            tls_ca_file = "/etc/ca.pem"
            tls_cert_warn_days = 30

            [[node]]
            name = "a"
            address = "thrift-a.internal:9090"
            tls = true
            tls_server_name = "thrift.internal"
            tls_min_version = "1.3"

            [[node]]
            name = "b"
            address = "10.0.0.2:9090"
            tls = true
            tls_cert_file = "/etc/client.pem"
            tls_key_file = "/etc/client.key"

            [[node]]
            name = "c"
            address = "10.0.0.3:9090"
            """)
        let a = try #require(config.nodes[0].settings.tls)
        #expect(a.caFile == "/etc/ca.pem")
        #expect(a.certWarnDays == 30)
        #expect(a.serverName == "thrift.internal")
        #expect(a.minimumVersion == .tls13)
        #expect(a.expectedName(host: "thrift-a.internal") == "thrift.internal")
        let b = try #require(config.nodes[1].settings.tls)
        #expect(b.minimumVersion == .tls12, "1.2 by default")
        #expect(b.certFile == "/etc/client.pem" && b.keyFile == "/etc/client.key")
        #expect(b.expectedName(host: "10.0.0.2") == nil, "an IP address: checked against IP SANs, no SNI")
        #expect(b.insecureSkipVerify == false, "verified by default")
        #expect(config.nodes[2].settings.tls == nil, "tls_* in [defaults] alone turns nothing on")
    }

    @Test func tlsInDefaultsTurnsItOnForEveryNode() throws {
        let config = try parse("""
            [defaults]
            tls = true
            [[node]]
            name = "a"
            address = "a.internal:9090"
            [[node]]
            name = "b"
            address = "b.internal:9090"
            tls = false
            """)
        #expect(config.nodes[0].settings.tls?.expectedName(host: "a.internal") == "a.internal")
        #expect(config.nodes[1].settings.tls == nil)
    }

    @Test(arguments: [
        ("tls = true\ntls_min_version = 1.2", "c.toml:5: node \"a\".tls_min_version: must be a string, \"1.2\" or \"1.3\" (quoted: 1.2 unquoted is a number)"),
        ("tls = true\ntls_min_version = \"1.1\"", "c.toml:5: node \"a\".tls_min_version: must be \"1.2\" or \"1.3\""),
        ("tls = true\ntls_cert_file = \"c.pem\"", "c.toml:5: node \"a\".tls_cert_file: tls_cert_file and tls_key_file go together (a client certificate and its key)"),
        ("tls_ca_file = \"ca.pem\"", "c.toml:4: node \"a\".tls_ca_file: is for a TLS node: add tls = true (here or in [defaults])"),
        ("tls = true\ntls_server_name = \"10.0.0.1\"", "c.toml:5: node \"a\".tls_server_name: 10.0.0.1 is an IP address: leave tls_server_name out and an IP address in `address` is checked against the certificate's IP SANs"),
        ("tls = true\ntls_server_name = \"bad name\"", "c.toml:5: node \"a\".tls_server_name: must be a DNS name (letters, digits, - and .) (got \"bad name\")"),
        ("tls = true\ntls_server_name = \"*.internal\"", "c.toml:5: node \"a\".tls_server_name: must be a DNS name (letters, digits, - and .) (got \"*.internal\")"),
        ("tls = true\ntls_cert_warn_days = -1", "c.toml:5: node \"a\".tls_cert_warn_days: must be from 0 to 3650 (got -1)"),
        ("tls = \"yes\"", "c.toml:4: node \"a\".tls: must be true or false"),
    ])
    func mistakesAreNamed(_ keys: String, _ expected: String) {
        let text = """
            [[node]]
            name = "a"
            address = "a.internal:9090"
            \(keys)
            """
        #expect(error(text) == expected)
    }
}
