import ClusterModel
import Foundation
import Testing

/// The snapshot's JSON form is a contract (admin API, etcd, recordings): these tests pin it.
@Suite("Snapshot JSON")
struct SnapshotJSONTests {
    static func fixture() -> ClusterSnapshot {
        var db = NodeSnapshot(name: "db-1", address: "127.0.0.1:9101", health: .up)
        db.group = "primary"
        db.tags = ["eu"]
        db.fbStatus = "ALIVE"
        db.statusDetails = "ok"
        db.connected = true
        db.routable = true
        db.latencyP50 = 1.5
        db.latencyP90 = 2
        db.latencyP99 = 4.25
        db.latencyMax = 9
        db.latencyEWMA = 1.75
        db.recentLatencies = [1, 2]
        db.latencyHistogram = [LatencyBucket(upperBoundMillis: 1, count: 3), LatencyBucket(upperBoundMillis: .infinity, count: 1)]
        db.heartbeatsOK = 10
        db.heartbeatsFailed = 1
        db.phi = 0.5
        db.calls = 20
        db.callFailures = 2
        db.retries = 1
        db.inFlight = 3
        db.weight = 50
        db.configuredWeight = 100
        db.trafficShare = 0.25
        db.availability = 0.9
        db.clusterAvailabilityIfDrained = 0.99
        db.operatorDrained = true
        db.ejectedFor = 1.5
        db.lastError = "heartbeat timed out after 900 ms"
        db.serverName = "demo"
        db.serverVersion = "1.0"
        db.aliveSince = 1_800_000_000
        db.counters = ["calls": 7]
        let event = PoolEvent(id: 4, time: 1_800_000_100.25, node: "db-1", severity: .warning, kind: .stateChange, message: "up → suspect")
        var snapshot = ClusterSnapshot(clusterName: "prod", wallTime: 1_800_000_123.456, nodes: [db, NodeSnapshot(name: "db-2", address: "[::1]:9102")],
                                       events: [event], callsPerSecond: 12.5, retriesPerSecond: 0.5, availability: 0.999,
                                       panicMode: false, balancer: "p2c-peak-ewma", undoable: ["alice (uid 1000) on ops-1": "drain db-1"],
                                       listeners: ["127.0.0.1:9090"])
        var outcomes = MethodOutcomes()
        outcomes.success = 8
        outcomes.declaredException = 1
        outcomes.applicationException = ["INTERNAL_ERROR": 1]
        snapshot.methods = [MethodSnapshot(name: "Shop:buy", outcomes: outcomes, callsPerSecond: 2.5, latencyP50: 1.5, latencyP99: 4.25, recentRates: [2, 3],
                                           nodes: [MethodNodeFigures(node: "db-1", outcomes: outcomes, latencyP50: 1.5, latencyP99: 4.25)])]
        return snapshot
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func aFixedSnapshotEncodesToThePinnedJSON() throws {
        let expected = #"{"availability":0.999,"balancer":"p2c-peak-ewma","calls_per_second":12.5,"cluster":"prod","#
            + #""events":[{"id":4,"kind":"state_change","message":"up → suspect","node":"db-1","severity":"warning","time":"2027-01-15T08:01:40.250Z"}],"#
            + #""listeners":["127.0.0.1:9090"],"methods":[{"calls_per_second":2.5,"name":"Shop:buy","nodes":[{"node":"db-1","outcomes":{"application_exception":{"INTERNAL_ERROR":1},"declared_exception":1,"refused":0,"sent":0,"success":8,"timeout":0,"transport":0},"p50_ms":1.5,"p99_ms":4.25}],"outcomes":{"application_exception":{"INTERNAL_ERROR":1},"declared_exception":1,"refused":0,"sent":0,"success":8,"timeout":0,"transport":0},"p50_ms":1.5,"p99_ms":4.25,"recent_rates":[2,3]}],"min_routable":1,"nodes":[{"address":"127.0.0.1:9101","alive_since":"2027-01-15T08:00:00.000Z","availability":0.9,"call_failures":2,"calls":20,"#
            + #""cluster_availability_if_drained":0.99,"configured_weight":100,"connected":true,"counters":{"calls":7},"drained":true,"#
            + #""ejected_for_ms":1500,"ewma_ms":1.75,"fb_status":"ALIVE","group":"primary","health":"up","heartbeats_failed":1,"heartbeats_ok":10,"#
            + #""histogram":[{"count":3,"le_ms":1},{"count":1,"le_ms":null}],"in_flight":3,"last_error":"heartbeat timed out after 900 ms","max_ms":9,"name":"db-1","#
            + #""p50_ms":1.5,"p90_ms":2,"p99_ms":4.25,"phi":0.5,"recent_ms":[1,2],"reply_headers":[],"retries":1,"routable":true,"server_name":"demo","#
            + #""server_version":"1.0","serving":false,"status_details":"ok","tags":["eu"],"traffic_share":0.25,"weight":50,"wire":""},"#
            + #"{"address":"[::1]:9102","availability":0,"call_failures":0,"calls":0,"cluster_availability_if_drained":0,"configured_weight":100,"#
            + #""connected":false,"counters":{},"drained":false,"health":"unknown","heartbeats_failed":0,"heartbeats_ok":0,"histogram":[],"#
            + #""in_flight":0,"name":"db-2","phi":0,"recent_ms":[],"reply_headers":[],"retries":0,"routable":false,"serving":false,"status_details":"","tags":[],"#
            + #""traffic_share":0,"weight":100,"wire":""}],"panic_mode":false,"panic_threshold":0.5,"retries_per_second":0.5,"schema_version":1,"#
            + #""time":"2027-01-15T08:02:03.456Z","undo_by_operator":{"alice (uid 1000) on ops-1":"drain db-1"},"version":0}"#
        #expect(try Self.encode(Self.fixture()) == expected)
    }

    @Test func decodingGivesBackTheSameSnapshot() throws {
        let data = try JSONEncoder().encode(Self.fixture())
        #expect(try JSONDecoder().decode(ClusterSnapshot.self, from: data) == Self.fixture())
    }

    @Test func unknownKeysAreIgnoredAndMissingOptionalsAreAbsent() throws {
        let json = #"{"schema_version":1,"cluster":"c","time":"2027-01-15T08:02:03Z","from_the_future":[1,2],"#
            + #""nodes":[{"name":"a","address":"h:1","health":"down","colour":"red"}]}"#
        let snapshot = try JSONDecoder().decode(ClusterSnapshot.self, from: Data(json.utf8))
        #expect(snapshot.clusterName == "c")
        #expect(snapshot.wallTime == 1_800_000_123)
        #expect(snapshot.nodes.map(\.health) == [.down])
        #expect(snapshot.nodes[0].latencyP99 == nil)
        #expect(snapshot.events.isEmpty)
    }

    @Test func aNewerSchemaOrABadTimeIsRefusedWithTheReason() throws {
        let newer = #"{"schema_version":99,"cluster":"c","time":"2027-01-15T08:02:03Z","nodes":[]}"#
        let error = try #require(throws: DecodingError.self) { try JSONDecoder().decode(ClusterSnapshot.self, from: Data(newer.utf8)) }
        #expect("\(error)".contains("schema_version 99 is newer"))
        let badTime = #"{"schema_version":1,"cluster":"c","time":"yesterday","nodes":[]}"#
        let timeError = try #require(throws: DecodingError.self) { try JSONDecoder().decode(ClusterSnapshot.self, from: Data(badTime.utf8)) }
        #expect("\(timeError)".contains("not an RFC 3339 time: \"yesterday\""))
    }

    @Test func operatorCommandsAndResultsHaveAStableForm() throws {
        #expect(try Self.encode(OperatorCommand.drain(node: "a", force: true)) == #"{"command":"drain","force":true,"node":"a"}"#)
        #expect(try Self.encode(OperatorCommand.setWeight(node: "a", weight: 5)) == #"{"command":"weight","node":"a","weight":5}"#)
        #expect(try Self.encode(OperatorResult.refused("nothing to undo")) == #"{"message":"nothing to undo","outcome":"refused"}"#)
        for command in [OperatorCommand.drain(node: "a"), .undrain(node: "b"), .setWeight(node: "c", weight: 0), .resetWeight(node: "d"), .undo] {
            #expect(try JSONDecoder().decode(OperatorCommand.self, from: JSONEncoder().encode(command)) == command)
        }
        let unknown = try #require(throws: DecodingError.self) {
            try JSONDecoder().decode(OperatorCommand.self, from: Data(#"{"command":"explode"}"#.utf8))
        }
        #expect("\(unknown)".contains("unknown command \"explode\""))
    }

    @Test func theSharedStoreAndANodesLastChangeHaveAStableForm() throws {
        var snapshot = ClusterSnapshot(clusterName: "c", wallTime: 1_800_000_000, nodes: [NodeSnapshot(name: "a", address: "h:1")], events: [])
        snapshot.stateStore = StateStoreStatus(kind: "etcd", location: "http://h:2379 /thrifttop/c/", unreachableSince: 1_800_000_000,
                                               reason: "connection refused", localPending: 1)
        snapshot.nodes[0].lastChange = OperatorChange(user: "alice", instance: "serve-a", time: 1_800_000_000, action: "drain a",
                                                      reason: "deploy", localOnly: true)
        let json = try Self.encode(snapshot)
        #expect(json.contains(#""state_store":{"kind":"etcd","local_pending":1,"location":"http:\/\/h:2379 \/thrifttop\/c\/","reason":"connection refused","routing_held":false,"unreachable_since":"2027-01-15T08:00:00.000Z"}"#))
        #expect(json.contains(#""last_change":{"action":"drain a","instance":"serve-a","local_only":true,"reason":"deploy","time":"2027-01-15T08:00:00.000Z","user":"alice"}"#))
        #expect(try JSONDecoder().decode(ClusterSnapshot.self, from: Data(json.utf8)) == snapshot)
        #expect(snapshot.stateStore?.warning == "state store unreachable since 08:00:00 UTC: connection refused — actions refused (force here only possible); 1 action made here only, to write back")
        // A request: the command's fields, force_local and a reason cleaned of control characters.
        let request = try JSONDecoder().decode(OperatorRequest.self, from: Data(#"{"command":"drain","node":"a","force_local":true,"reason":"x\u001b[2Jy"}"#.utf8))
        #expect(request == OperatorRequest(.drain(node: "a"), forceLocal: true, reason: "xy"))
    }

    @Test(arguments: [
        ("2027-01-15T08:02:03.456Z", 1_800_000_123.456), ("2027-01-15 08:02:03z", 1_800_000_123),
        ("2027-01-15T09:02:03+01:00", 1_800_000_123), ("1969-12-31T23:59:59.500Z", -0.5),
    ])
    func rfc3339TimesReadAsUnixSeconds(text: String, seconds: Double) throws {
        let parsed = try #require(RFC3339.unixSeconds(from: text))
        #expect(abs(parsed - seconds) < 1e-6)
    }

    @Test func rfc3339RefusesWhatIsNotATime() {
        for text in ["", "2027-01-15", "2027-13-01T00:00:00Z", "2027-01-15T08:02:03", "2027-01-15T08:02:03.Z", "2027-01-15T08:02:03Zjunk"] {
            #expect(RFC3339.unixSeconds(from: text) == nil, "\(text)")
        }
        #expect(RFC3339.string(fromUnixSeconds: -0.5) == "1969-12-31T23:59:59.500Z")
        // To the nearest millisecond, and never a time the form cannot read back.
        #expect(RFC3339.string(fromUnixSeconds: 1_800_000_123.4566) == "2027-01-15T08:02:03.457Z")
        #expect(RFC3339.string(fromUnixSeconds: 1e300) == "9999-12-31T23:59:59.999Z")
        #expect(RFC3339.unixSeconds(from: RFC3339.string(fromUnixSeconds: -1e300)) != nil)
    }
}
