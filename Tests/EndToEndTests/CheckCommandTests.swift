import Foundation
import Testing

/// `thrifttop check` against demo servers started by `thrifttop demo-servers` in another process.
@Suite("thrifttop check", .serialized)
struct CheckCommandTests {
    final class DemoServers {
        let process = Process()
        let config: String
        let directory: URL

        init(scenario: String) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-check-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let scenarioFile = directory.appendingPathComponent("scenario.toml")
            try scenario.write(to: scenarioFile, atomically: true, encoding: .utf8)
            config = directory.appendingPathComponent("cluster.toml").path
            process.executableURL = URL(fileURLWithPath: TmuxSession.thrifttop)
            process.arguments = ["demo-servers", "--scenario", scenarioFile.path, "--write-config", config, "--duration", "60"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(10)
            while !FileManager.default.fileExists(atPath: config) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Runs `thrifttop check ARGS`; returns the exit status and stdout.
    func check(_ arguments: [String]) throws -> (Int32, String) {
        try Self.check(arguments)
    }

    /// `thrifttop check ARGS`: its status and what it printed, stdout then stderr.
    static func check(_ arguments: [String]) throws -> (Int32, String) {
        let (status, out, err) = try runToEnd(TmuxSession.thrifttop, ["check"] + arguments)
        return (status, out + err)
    }

    static let scenario = """
        [[node]]
        name = "good"
        [[node]]
        name = "compact"
        protocol = "compact"
        [[node]]
        name = "warming"
        status = "STARTING"
        [[node]]
        name = "failing"
        error_rate = 1.0
        [[node]]
        name = "gone"
        crashed = true
        [[node]]
        name = "disk"
        status = "WARNING"
        details = "disk 91% full"
        """

    @Test func exitCodesFollowGrpcHealthProbe() throws {
        let servers = try DemoServers(scenario: Self.scenario)
        #expect(try check([servers.config, "--node", "good"]).0 == 0)
        #expect(try check([servers.config, "--node", "compact"]).0 == 0)
        #expect(try check([servers.config, "--node", "disk"]).0 == 0)  // WARNING is serving
        #expect(try check([servers.config, "--node", "warming"]).0 == 4)
        #expect(try check([servers.config, "--node", "failing"]).0 == 3)
        #expect(try check([servers.config, "--node", "gone"]).0 == 2)
        let (all, table) = try check([servers.config])
        #expect(all == 2)
        // good, compact and disk (WARNING) serve; warming, failing and gone do not.
        #expect(table.contains("3/6 serving"))
        let (unknownNode, message) = try check([servers.config, "--node", "goood"])
        #expect(unknownNode == 1)
        #expect(message.contains("no node named \"goood\"") && message.contains("did you mean good?"))
    }

    @Test func jsonNamesEveryNodesVerdictAndError() throws {
        let servers = try DemoServers(scenario: Self.scenario)
        let (code, text) = try check([servers.config, "--json"])
        #expect(code == 2)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(json["serving"] as? Bool == false)
        #expect(json["exit_code"] as? Int == 2)
        let nodes = try #require(json["nodes"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: nodes.map { ($0["name"] as? String ?? "", $0) })
        #expect(byName["good"]?["status"] as? String == "SERVING")
        #expect(byName["good"]?["fb303_status"] as? String == "ALIVE")
        #expect((byName["good"]?["latency_ms"] as? Double ?? -1) >= 0)
        #expect(byName["warming"]?["status"] as? String == "NOT_SERVING")
        #expect(byName["failing"]?["status"] as? String == "RPC_FAILURE")
        #expect((byName["failing"]?["error"] as? String)?.contains("INTERNAL_ERROR") == true)
        #expect(byName["gone"]?["status"] as? String == "CONNECTION_FAILURE")
        #expect((byName["gone"]?["error"] as? String)?.contains("connection refused") == true)
    }

    @Test func dnsFailureAndRefusedConnectionsAreNamed() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-dns-\(UUID().uuidString).toml")
        // .invalid never resolves (RFC 6761); port 1 on loopback refuses.
        try "[[node]]\nname = \"ghost\"\naddress = \"no-such-host.invalid:9090\"\n[[node]]\nname = \"closed\"\naddress = \"127.0.0.1:1\"\n"
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (code, table) = try check([file.path])
        #expect(code == 2)
        #expect(table.contains("DNS lookup failed for no-such-host.invalid"))
        #expect(table.contains("connection refused"))
    }

    @Test func aBadConfigIsExitOneWithFileLineAndKey() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-bad-\(UUID().uuidString).toml")
        try "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:99999\"\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (code, text) = try check([file.path])
        #expect(code == 1)
        #expect(text.contains("\(file.path):3: node \"a\".address: port must be a number from 1 to 65535"))
        #expect(try check(["/nonexistent/cluster.toml"]).0 == 1)
    }
}

@Suite("Help text")
struct HelpTextTests {
    func help(_ arguments: [String]) throws -> String {
        try runToEnd(TmuxSession.thrifttop, arguments + ["--help"], environment: ["COLUMNS": "100", "PATH": "/usr/bin:/bin"]).out
    }

    @Test(arguments: [[], ["run"], ["check"], ["demo-servers"]])
    func everySubcommandHasHelpWithExamples(_ command: [String]) throws {
        let text = try help(command)
        #expect(text.contains("OVERVIEW:"))
        #expect(text.contains("Examples:"))
        #expect(text.contains("USAGE: thrifttop"))
    }

    @Test func checkHelpStatesTheExitCodes() throws {
        let text = try help(["check"]).replacingOccurrences(of: "\n", with: " ")
        #expect(text.contains("0 all serving, 1 bad arguments or config, 2 connection failure, 3 RPC failure or timeout, 4 not serving"))
    }
}

/// `check` against a hostile server: Apache Thrift's own Python server whose getStatus raises a
/// TApplicationException full of terminal escape sequences.
@Suite("thrifttop check against a hostile server")
struct HostileServerCheckTests {
    @Test func serverTextIsCleanedOfEscapeSequencesInTheTableAndInJSON() throws {
        let hostile = "\u{1b}]0;pwned\u{07}\u{1b}[2J\u{1b}[31mdisk on fire\u{1b}[0m\r\n\u{08}"
        let server = try PythonFB303Server(arguments: ["--status-error", hostile])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-hostile-\(UUID().uuidString).toml")
        try "[[node]]\nname = \"evil\"\naddress = \"127.0.0.1:\(server.port)\"\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        for arguments in [[file.path], [file.path, "--json"]] {
            let (code, output) = try CheckCommandTests().check(arguments)
            #expect(code == 3, "an exception from getStatus is an RPC failure")
            #expect(output.contains("INTERNAL_ERROR"))
            #expect(output.contains("disk on fire"))
            let controls = output.unicodeScalars.filter { $0.value < 0x20 && $0 != "\n" && $0 != " " || $0.value == 0x7F }
            #expect(controls.isEmpty, "control characters reached the terminal: \(controls.map { String($0.value, radix: 16) })")
        }
    }
}
