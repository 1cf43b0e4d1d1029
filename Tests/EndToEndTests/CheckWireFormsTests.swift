import Foundation
import Testing

/// `thrifttop check` against Apache Thrift's own Python fb303 server in THeader, HTTP and JSON,
/// a node configured in another form than its server speaks, and the config keys of the forms.
@Suite("thrifttop check in every wire form", .serialized)
struct CheckWireFormsTests {
    /// A cluster file in a fresh temporary directory, removed with the value.
    final class ConfigFile {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-wire-\(UUID().uuidString).toml")
        init(_ text: String) throws { try text.write(to: url, atomically: true, encoding: .utf8) }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    @Test func heartbeatsReachFb303ServersInTHeaderHTTPAndJSON() throws {
        let header = try PythonFB303Server(arguments: ["--transport", "header", "--name", "hdr"])
        let zlib = try PythonFB303Server(arguments: ["--transport", "header", "--protocol", "compact", "--name", "hdrz"])
        let http = try PythonFB303Server(arguments: ["--transport", "http", "--name", "web"])
        let httpJSON = try PythonFB303Server(arguments: ["--transport", "http", "--protocol", "json", "--http-keepalive", "--name", "webjson"])
        let json = try PythonFB303Server(arguments: ["--transport", "framed", "--protocol", "json", "--name", "json"])
        let config = try ConfigFile("""
            name = "forms"
            [[node]]
            name = "hdr"
            address = "127.0.0.1:\(header.port)"
            transport = "header"
            [[node]]
            name = "hdrz"
            address = "127.0.0.1:\(zlib.port)"
            transport = "header"
            protocol = "compact"
            transforms = ["zlib"]
            [[node]]
            name = "web"
            address = "127.0.0.1:\(http.port)"
            transport = "http"
            path = "/thrift"
            [[node]]
            name = "webjson"
            address = "127.0.0.1:\(httpJSON.port)"
            transport = "http"
            protocol = "json"
            [[node]]
            name = "json"
            address = "127.0.0.1:\(json.port)"
            protocol = "json"
            """)
        let (code, text) = try CheckCommandTests.check([config.url.path, "--json"])
        #expect(code == 0, "\(text)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let nodes = try #require(report["nodes"] as? [[String: Any]])
        #expect(nodes.count == 5)
        for node in nodes {
            #expect(node["status"] as? String == "SERVING", "\(node)")
            #expect(node["fb303_status"] as? String == "ALIVE", "\(node)")
        }
    }

    @Test func aNodeConfiguredInAnotherFormIsToldTheFormItAnswersIn() throws {
        let header = try PythonFB303Server(arguments: ["--transport", "header"])
        let http = try PythonFB303Server(arguments: ["--transport", "http"])
        let config = try ConfigFile("""
            name = "wrong"
            [defaults]
            call_timeout_ms = 500
            [[node]]
            name = "framed-at-header"
            address = "127.0.0.1:\(header.port)"
            [[node]]
            name = "framed-at-http"
            address = "127.0.0.1:\(http.port)"
            """)
        let (code, text) = try CheckCommandTests.check([config.url.path, "--json"])
        #expect(code != 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let nodes = try #require(report["nodes"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: nodes.map { ($0["name"] as? String ?? "", $0) })
        #expect(byName["framed-at-header"]?["answers_as"] as? String == #"transport = "header", protocol = "binary""#, "\(text)")
        #expect(byName["framed-at-http"]?["answers_as"] as? String == #"transport = "http", protocol = "binary""#, "\(text)")
        #expect((byName["framed-at-header"]?["error"] as? String)?.contains(#"it answers with transport = "header", protocol = "binary": set that for this node"#) == true)
        // The table says it too.
        let (_, table) = try CheckCommandTests.check([config.url.path])
        #expect(table.contains(#"it answers with transport = "http""#), "\(table)")
    }

    @Test func theFormsKeysAreCheckedWithFileLineAndKey() throws {
        let config = try ConfigFile("""
            [[node]]
            name = "a"
            address = "127.0.0.1:9"
            transport = "header"
            transforms = ["snappy"]
            [[node]]
            name = "b"
            address = "127.0.0.1:10"
            protocol = "json"
            path = "/thrift"
            [[node]]
            name = "c"
            address = "127.0.0.1:11"
            transport = "http"
            path = "thrift"
            [[node]]
            name = "d"
            address = "127.0.0.1:12"
            transport = "header"
            protocol = "jsn"
            [[listener]]
            address = "127.0.0.1:0"
            transport = "framed"
            path = "/x"
            """)
        let (code, text) = try CheckCommandTests.check([config.url.path])
        #expect(code == 1)
        let file = config.url.path
        #expect(text.contains(#"\#(file):5: node "a".transforms: unknown THeader transform "snappy": thrifttop reads and writes "zlib" only"#), "\(text)")
        #expect(text.contains(#"\#(file):10: node "b".path: applies to transport = "http" only (this node's transport is "framed")"#), "\(text)")
        #expect(text.contains(#"\#(file):15: node "c".path: must be an HTTP path starting with / without spaces (got "thrift")"#), "\(text)")
        #expect(text.contains(#"\#(file):20: node "d".protocol: must be "binary", "compact" or "json" (got "jsn")"#), "\(text)")
        #expect(text.contains(#"\#(file):24: listener"#) && text.contains(#"path: applies to HTTP clients, but this listener is set to transport = "framed""#), "\(text)")
    }
}
