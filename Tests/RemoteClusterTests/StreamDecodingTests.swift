@testable import AdminServer
import ClusterModel
import Foundation
import Testing
@testable import RemoteCluster

/// The event-stream parser and the snapshot rebuilt from a stream, on made-up bytes.
@Suite("Stream decoding")
struct StreamDecodingTests {
    @Test func eventsSplitAnywhereAcrossChunksComeOutWhole() throws {
        let text = "event: snapshot\nid: 7\ndata: {\"a\":\ndata: 1}\n\n: keep-alive\n\nevent: delta\r\nid: 8\r\ndata: x\r\n\r\ndata: plain\r\r"
        let bytes = Array(text.utf8)
        for split in 1 ..< bytes.count {
            var parser = ServerSentEventParser()
            let events = try parser.feed(bytes[..<split]) + parser.feed(bytes[split...])
            #expect(events == [
                ServerSentEvent(event: "snapshot", data: "{\"a\":\n1}", id: "7"),
                ServerSentEvent(event: "delta", data: "x", id: "8"),
                ServerSentEvent(event: "message", data: "plain", id: "8"),
            ], "split at \(split)")
            #expect(parser.comments == 1)
        }
    }

    @Test func anEventLargerThanTheLimitIsAnErrorNotUnboundedMemory() {
        var parser = ServerSentEventParser(maximumEventBytes: 100)
        #expect(throws: ServerSentEventParser.TooLarge.self) {
            _ = try parser.feed(Array(("data: " + String(repeating: "x", count: 200)).utf8))
        }
    }

    static func node(_ name: String, _ health: NodeHealth, weight: Int = 100) -> NodeSnapshot {
        var node = NodeSnapshot(name: name, address: "127.0.0.1:1", health: health)
        node.weight = weight
        return node
    }

    static func event(_ type: String, _ snapshot: ClusterSnapshot, extra: String = "") throws -> ServerSentEvent {
        var json = String(decoding: try JSONEncoder().encode(snapshot), as: UTF8.self)
        if !extra.isEmpty { json = String(json.dropLast()) + "," + extra + "}" }
        return ServerSentEvent(event: type, data: json, id: String(snapshot.version))
    }

    @Test func deltasApplyByNodeNameAndKeepOrderEventsAndUnchangedNodes() throws {
        var full = ClusterSnapshot(clusterName: "prod", wallTime: 1000, nodes: [Self.node("a", .up), Self.node("b", .up), Self.node("c", .up)],
                                   events: [PoolEvent(id: 1, time: 999, node: nil, severity: .info, kind: .config, message: "started")],
                                   callsPerSecond: 10)
        full.version = 5
        var streamed = StreamedSnapshot()
        try streamed.apply(Self.event("snapshot", full))

        var delta = ClusterSnapshot(clusterName: "prod", wallTime: 1001, nodes: [Self.node("b", .down), Self.node("d", .starting)],
                                    events: [PoolEvent(id: 2, time: 1001, node: "b", severity: .error, kind: .stateChange, message: "b down")],
                                    callsPerSecond: 7)
        delta.version = 6
        try streamed.apply(Self.event("delta", delta))
        let now = try #require(streamed.snapshot)
        #expect(now.nodes.map(\.name) == ["a", "b", "c", "d"])
        #expect(now.nodes.map(\.health) == [.up, .down, .up, .starting])
        #expect(now.callsPerSecond == 7)
        #expect(now.wallTime == 1001)
        #expect(now.events.map(\.id) == [1, 2])
        #expect(streamed.lastEventID == "6")

        // A node removed by a reload goes; an event seen twice is kept once.
        var removal = ClusterSnapshot(clusterName: "prod", wallTime: 1002, nodes: [], events: delta.events)
        removal.version = 7
        try streamed.apply(Self.event("delta", removal, extra: #""removed_nodes":["c"]"#))
        #expect(streamed.snapshot?.nodes.map(\.name) == ["a", "b", "d"])
        #expect(streamed.snapshot?.events.map(\.id) == [1, 2])

        // A fresh snapshot replaces everything.
        var again = ClusterSnapshot(clusterName: "prod", wallTime: 1003, nodes: [Self.node("z", .up)], events: [])
        again.version = 9
        try streamed.apply(Self.event("snapshot", again))
        #expect(streamed.snapshot?.nodes.map(\.name) == ["z"])
        #expect(streamed.lastEventID == "9")
    }

    @Test func deltasCarryOnlyTheMethodsThatChangedAndApplyThemByName() throws {
        var ok = MethodOutcomes()
        ok.success = 5
        var full = ClusterSnapshot(clusterName: "prod", wallTime: 1000, nodes: [Self.node("a", .up)], events: [])
        full.methods = [MethodSnapshot(name: "get", outcomes: ok), MethodSnapshot(name: "put", outcomes: ok)]
        full.version = 1
        var later = full
        later.version = 2
        later.wallTime = 1001
        later.methods[1].outcomes.success = 9
        later.methods.append(MethodSnapshot(name: "Billing:charge", outcomes: ok))
        // The daemon's side: only put (changed) and Billing:charge (new).
        let delta = try #require(SnapshotDelta(from: full, to: later)?.snapshot)
        #expect(delta.methods.map(\.name) == ["put", "Billing:charge"])
        // The dashboard's side: applied by name, get untouched.
        var streamed = StreamedSnapshot()
        try streamed.apply(Self.event("snapshot", full))
        var event = delta
        event.version = 2
        try streamed.apply(Self.event("delta", event))
        #expect(streamed.snapshot?.methods == later.methods)
        // Nothing changed but the clock: no delta at all.
        var quiet = later
        quiet.wallTime = 1002
        #expect(SnapshotDelta(from: later, to: quiet) == nil)
    }

    @Test func aDeltaBeforeAnySnapshotOrOneThatIsNotASnapshotIsNamed() throws {
        var streamed = StreamedSnapshot()
        let delta = ClusterSnapshot(clusterName: "prod", wallTime: 1, nodes: [], events: [])
        #expect(throws: StreamedSnapshot.Malformed(description: "the daemon sent a delta before any snapshot")) {
            try streamed.apply(Self.event("delta", delta))
        }
        do {
            try streamed.apply(ServerSentEvent(event: "snapshot", data: #"{"schema_version": 1}"#, id: "1"))
            Issue.record("a snapshot without its fields was accepted")
        } catch let error as StreamedSnapshot.Malformed {
            #expect(error.description.hasPrefix("the daemon's snapshot event is not a snapshot: missing"))
        }
        // An event type of a newer daemon is ignored, not an error.
        #expect(try streamed.apply(ServerSentEvent(event: "something-new", data: "{}", id: "2")) == false)
    }

    @Test func reconnectsBackOffFromAQuarterSecondToFive() {
        #expect((1 ... 8).map { AttachBackoff.delay(afterFailures: $0) } == [
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5), .seconds(5),
        ])
    }

    @Test func endpointsParseOrSayWhichFormsAreUnderstood() throws {
        #expect(try AdminEndpoint(parsing: "unix:/run/x.sock") == .unix(path: "/run/x.sock"))
        #expect(try AdminEndpoint(parsing: "/run/x.sock") == .unix(path: "/run/x.sock"))
        #expect(try AdminEndpoint(parsing: "http://127.0.0.1:9901") == .http(host: "127.0.0.1", port: 9901))
        #expect(try AdminEndpoint(parsing: "http://[::1]:9901/") == .http(host: "::1", port: 9901))
        #expect(AdminEndpoint.http(host: "::1", port: 9901).description == "http://[::1]:9901")
        #expect(try AdminEndpoint(parsing: "https://admin.example.net:9901") == .https(host: "admin.example.net", port: 9901))
        #expect(AdminEndpoint.https(host: "::1", port: 9901).description == "https://[::1]:9901")
        for bad in ["unix:", "http://127.0.0.1", "http://:80", "ftp://x", "https://127.0.0.1", "https://:1", "prod"] {
            #expect(throws: AdminEndpointError.self, "\(bad)") { try AdminEndpoint(parsing: bad) }
        }
        #expect(RemoteCluster.body(of: OperatorRequest(.setWeight(node: "db-3", weight: 50))) == Data(#"{"command":"weight","node":"db-3","weight":50}"#.utf8))
        #expect(RemoteCluster.body(of: OperatorRequest(.drain(node: "db-3", force: true))) == Data(#"{"command":"drain","force":true,"node":"db-3"}"#.utf8))
        #expect(RemoteCluster.body(of: OperatorRequest(.resetWeight(node: "x"))) == Data(#"{"command":"reset_weight","node":"x"}"#.utf8))
        #expect(RemoteCluster.body(of: OperatorRequest(.drain(node: "x"), forceLocal: true, reason: "deploy"))
            == Data(#"{"command":"drain","force":false,"force_local":true,"node":"x","reason":"deploy"}"#.utf8))
    }
}
