@testable import ClusterPool
import Testing

/// `[state]`'s TLS keys: https:// endpoints, a CA file, a client certificate with its key, and
/// each way of writing them wrong named by key and line.
@Suite struct StateTLSConfigTests {
    let node = "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n[state]\nstore = \"etcd\"\n"

    func error(_ text: String) -> String? {
        do {
            _ = try ClusterConfig(parsing: text, file: "c.toml")
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func httpsEndpointsTakeACAFileAndAClientCertificate() throws {
        let config = try ClusterConfig(parsing: node + """
            endpoints = ["https://etcd-1.internal:2379", "https://[::1]:2379/"]
            tls_ca_file = "/etc/etcd/ca.pem"
            tls_cert_file = "/etc/thrifttop/etcd.pem"
            tls_key_file = "/etc/thrifttop/etcd.key"
            """, file: "c.toml")
        #expect(config.state.endpoints == ["https://etcd-1.internal:2379", "https://[::1]:2379/"])
        #expect(config.state.tlsCAFile == "/etc/etcd/ca.pem")
        #expect(config.state.tlsCertFile == "/etc/thrifttop/etcd.pem" && config.state.tlsKeyFile == "/etc/thrifttop/etcd.key")
    }

    @Test func httpsAloneTrustsTheSystemStoreAndSendsNoCertificate() throws {
        let config = try ClusterConfig(parsing: node + "endpoints = [\"https://10.0.0.1:2379\"]", file: "c.toml")
        #expect(config.state.tlsCAFile == nil && config.state.tlsCertFile == nil && config.state.tlsKeyFile == nil)
    }

    @Test func mixingHttpAndHttpsIsRefusedNamingBoth() {
        #expect(error(node + "endpoints = [\"https://10.0.0.1:2379\", \"http://10.0.0.2:2379\"]")
            == "c.toml:6: state.endpoints: mixes https:// (https://10.0.0.1:2379) and http:// (http://10.0.0.2:2379): the members of one etcd cluster are reached the same way")
    }

    @Test func tlsKeysWithHttpEndpointsAreRefusedNamingTheKey() {
        for key in ["tls_ca_file", "tls_cert_file", "tls_key_file"] {
            #expect(error(node + "endpoints = [\"http://10.0.0.1:2379\"]\n\(key) = \"/x.pem\"")
                == "c.toml:7: state.\(key): is for https:// endpoints; these endpoints are http:// (write https://HOST:PORT for an etcd with TLS)")
        }
    }

    @Test func aCertificateWithoutItsKeyOrTheReverseIsRefused() {
        let https = node + "endpoints = [\"https://10.0.0.1:2379\"]\n"
        #expect(error(https + "tls_cert_file = \"/c.pem\"")
            == "c.toml:7: state.tls_cert_file: tls_cert_file and tls_key_file go together (the client certificate etcd --client-cert-auth asks for, and its key)")
        #expect(error(https + "tls_key_file = \"/c.key\"")?.hasPrefix("c.toml:7: state.tls_key_file: tls_cert_file and tls_key_file go together") == true)
        #expect(error(https + "tls_ca_file = \"\"") == "c.toml:7: state.tls_ca_file: must be a path to a PEM file")
    }

    @Test func tlsKeysBelongToTheEtcdStoreOnly() {
        let file = "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n[state]\ntls_ca_file = \"/ca.pem\"\n"
        #expect(error(file) == "c.toml:5: state.tls_ca_file: is for store = \"etcd\"; this [state] keeps the state in state_file")
    }

    @Test func anHttpsEndpointIsReadAsStrictlyAsAnHttpOne() {
        #expect(error(node + "endpoints = [\"https://h\"]") == "c.toml:6: state.endpoints: \"https://h\" is not an etcd endpoint (http://HOST:PORT or https://HOST:PORT)")
        #expect(error(node + "endpoints = [\"https://h:2379/v3\"]")?.contains("is not an etcd endpoint") == true)
        #expect(error(node + "endpoints = [\"ftp://h:2379\"]")?.contains("is not an etcd endpoint") == true)
    }

    @Test func changedTLSPathsNeedARestartLikeAnyOtherStateKey() throws {
        let https = node + "endpoints = [\"https://10.0.0.1:2379\"]\n"
        let before = try ClusterConfig(parsing: https + "tls_ca_file = \"/a.pem\"", file: "c.toml")
        let same = try ClusterConfig(parsing: https + "tls_ca_file = \"/a.pem\"", file: "c.toml")
        let moved = try ClusterConfig(parsing: https + "tls_ca_file = \"/b.pem\"", file: "c.toml")
        // The same paths: nothing to restart for (the reload reads the files again, as they may
        // have been renewed). Other paths: a restart, and the paths in force stay.
        #expect(PoolCore.inForce(before, same).notes.isEmpty)
        let (applied, notes) = PoolCore.inForce(before, moved)
        #expect(notes == ["[state] changed: needs a restart"])
        #expect(applied.state.tlsCAFile == "/a.pem")
    }
}
