import Testing
@testable import ClusterPool

@Suite("Node addresses")
struct NodeAddressTests {
    @Test func ipv4Ipv6AndHostnamesParse() throws {
        #expect(try NodeAddress(parsing: "10.0.0.7:9090") == NodeAddress(host: "10.0.0.7", port: 9090))
        #expect(try NodeAddress(parsing: "[::1]:9090") == NodeAddress(host: "::1", port: 9090))
        #expect(try NodeAddress(parsing: "[fe80::1%lo]:1") == NodeAddress(host: "fe80::1%lo", port: 1))
        #expect(try NodeAddress(parsing: "thrift-3.internal:65535") == NodeAddress(host: "thrift-3.internal", port: 65535))
        #expect(NodeAddress(host: "::1", port: 9).description == "[::1]:9")
    }

    @Test(arguments: [
        ("localhost", "expected HOST:PORT"),
        ("host:0", "port must be a number from 1 to 65535"),
        ("host:70000", "port must be a number from 1 to 65535"),
        (":9090", "empty host"),
        ("::1:9090", "an IPv6 address needs brackets: [ADDR]:PORT"),
        ("[::1]9090", "expected ':PORT' after ']'"),
        ("[10.0.0.1]:80", "brackets are only for IPv6 addresses"),
        ("bad host\u{1b}[31m:80", "host has characters not allowed in a hostname or IP address"),
    ])
    func badAddressesSayWhatIsWrong(_ input: String, _ reason: String) {
        #expect(throws: NodeAddress.ParseError(input: input, reason: reason)) { try NodeAddress(parsing: input) }
    }
}
