import ClusterModel
import Foundation
import Testing

/// `SnapshotJSONWriter` against the reference, the Codable form through `JSONEncoder` with
/// `.sortedKeys`: the same bytes for every snapshot the encoder can write, and bytes that read
/// back (`JSONDecoder`) as the snapshot written.
@Suite("Snapshot JSON writer")
struct SnapshotJSONWriterTests {
    static func encoderBytes(_ snapshot: ClusterSnapshot) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(snapshot))
    }

    static func decode(_ bytes: [UInt8]) throws -> ClusterSnapshot {
        try JSONDecoder().decode(ClusterSnapshot.self, from: Data(bytes))
    }

    @Test func thePinnedSnapshotIsWrittenByteForByte() throws {
        let fixture = SnapshotJSONTests.fixture()
        #expect(String(decoding: fixture.jsonBytes(), as: UTF8.self) == (try SnapshotJSONTests.encode(fixture)))
    }

    @Test func emptyAndFullSnapshotsAreWrittenAsTheEncoderWritesThem() throws {
        var empty = ClusterSnapshot(clusterName: "", wallTime: 0, nodes: [], events: [], balancer: "")
        #expect(empty.jsonBytes() == (try Self.encoderBytes(empty)))
        empty.version = .max
        empty.stateStore = StateStoreStatus(kind: "file", location: "/var/lib/thrifttop/state.json", routingHeld: true,
                                            notice: "started from the local cache written 12:03:04 UTC")
        #expect(empty.jsonBytes() == (try Self.encoderBytes(empty)))
        #expect(try Self.decode(empty.jsonBytes()) == empty)
    }

    @Test func everyASCIICharacterAndSomeUnicodeIsEscapedAsTheEncoderEscapesIt() throws {
        let unicode = ["é", "e\u{301}", "日本語", "😀", "\u{2028}", "\u{2029}", "\u{FEFF}", "\u{80}", "\u{9F}", "\u{10FFFF}"]
        for text in (0..<0x80).map({ String(UnicodeScalar(UInt8($0))) }) + unicode {
            var snapshot = ClusterSnapshot(clusterName: "a\(text)b", wallTime: 0, nodes: [], events: [])
            snapshot.listeners = [text, text + text]
            #expect(snapshot.jsonBytes() == (try Self.encoderBytes(snapshot)), "\(text.unicodeScalars.map(\.value))")
            #expect(try Self.decode(snapshot.jsonBytes()) == snapshot)
        }
    }

    /// Seeded, so a failure names the seed that shows it again.
    @Test func variedSnapshotsAreWrittenAsTheEncoderWritesThemAndReadBack() throws {
        for seed in 0..<500 {
            var random = SplitMix64(state: UInt64(seed))
            let snapshot = Self.snapshot(&random)
            let written = snapshot.jsonBytes()
            let expected = try Self.encoderBytes(snapshot)
            let same = written == expected
            #expect(same, "seed \(seed): \(Self.firstDifference(written, expected))")
            let readBack = try Self.decode(written) == snapshot
            #expect(readBack, "seed \(seed)")
            if !same || !readBack { break }  // one seed's report is enough to go on
        }
    }

    /// JSONEncoder refuses a snapshot with such a number; the writer writes null, read as the
    /// field absent, and leaves the sample out of `recent_ms`.
    @Test func numbersThatAreNotFiniteAreWrittenAsNullAndReadAsAbsent() throws {
        var node = NodeSnapshot(name: "a", address: "h:1")
        node.latencyP99 = .infinity
        node.latencyEWMA = -.infinity
        node.phi = .nan
        node.ejectedFor = .infinity
        node.recentLatencies = [1, .nan, -.infinity, 2, .infinity]
        node.latencyHistogram = [LatencyBucket(upperBoundMillis: 5, count: 1), LatencyBucket(upperBoundMillis: .nan, count: 2)]
        let snapshot = ClusterSnapshot(clusterName: "c", wallTime: .nan, nodes: [node], events: [], callsPerSecond: .infinity, availability: .nan)
        #expect(throws: EncodingError.self) { try Self.encoderBytes(snapshot) }
        let text = String(decoding: snapshot.jsonBytes(), as: UTF8.self)
        #expect(text.contains(#""p99_ms":null"#) && text.contains(#""recent_ms":[1,2]"#) && text.contains(#""time":"1970-01-01T00:00:00.000Z""#))
        let read = try Self.decode(snapshot.jsonBytes())
        #expect(read.callsPerSecond == 0 && read.availability == 0 && read.wallTime == 0)
        let readNode = try #require(read.nodes.first)
        #expect(readNode.latencyP99 == nil && readNode.latencyEWMA == nil && readNode.ejectedFor == nil && readNode.phi == 0)
        #expect(readNode.recentLatencies == [1, 2])
        #expect(readNode.latencyHistogram == [LatencyBucket(upperBoundMillis: 5, count: 1), LatencyBucket(upperBoundMillis: .infinity, count: 2)])
    }

    @Test func aListOfStringsIsAJSONArray() throws {
        var writer = SnapshotJSONWriter()
        writer.write(["db-1", "a\"b", "x/y", ""])
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"["db-1","a\"b","x\/y",""]"#)
        writer.bytes = []
        writer.write([])
        #expect(writer.bytes == Array("[]".utf8))
    }

    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
        let at = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        func around(_ bytes: [UInt8]) -> String { String(decoding: bytes[max(0, at - 60)..<min(bytes.count, at + 60)], as: UTF8.self) }
        return "at byte \(at): writer …\(around(a))… encoder …\(around(b))…"
    }

    // MARK: Varied snapshots

    /// Values the JSON form carries exactly, so a read-back snapshot is equal: times in whole or
    /// half seconds (the form keeps milliseconds), ejections in eighths of a second (written as
    /// milliseconds), +∞ as the only bucket bound that is not finite (null reads as +∞).
    static func snapshot(_ r: inout SplitMix64) -> ClusterSnapshot {
        var snapshot = ClusterSnapshot(
            clusterName: text(&r), wallTime: time(&r), nodes: (0..<Int.random(in: 0...5, using: &r)).map { node($0, &r) },
            events: (0..<Int.random(in: 0...4, using: &r)).map { _ in event(&r) },
            callsPerSecond: number(&r), retriesPerSecond: number(&r), availability: number(&r), panicMode: .random(using: &r),
            balancer: text(&r), undoable: Dictionary((0..<Int.random(in: 0...2, using: &r)).map { _ in (text(&r), text(&r)) }, uniquingKeysWith: { a, _ in a }), listeners: (0..<Int.random(in: 0...2, using: &r)).map { _ in text(&r) })
        let versions: [UInt64] = [0, 1, .max, .random(in: 0 ... .max, using: &r)]
        snapshot.version = versions.randomElement(using: &r)!
        snapshot.rules = OperatorRuleSettings(minRoutable: integer(&r), panicThreshold: Double(Int.random(in: 0...8, using: &r)) / 8)
        snapshot.stateStore = maybe(&r) { r in
            StateStoreStatus(kind: ["file", "etcd"].randomElement(using: &r)!, location: text(&r), unreachableSince: maybe(&r) { time(&$0) },
                             reason: maybe(&r) { text(&$0) }, localPending: integer(&r), routingHeld: .random(using: &r),
                             notice: maybe(&r) { text(&$0) })
        }
        return snapshot
    }

    static func node(_ index: Int, _ r: inout SplitMix64) -> NodeSnapshot {
        var node = NodeSnapshot(name: "\(text(&r))\(index)", address: text(&r), health: NodeHealth.allCases.randomElement(using: &r)!)
        node.routable = .random(using: &r)
        node.latencyP99 = maybe(&r) { number(&$0) }
        node.inFlight = integer(&r)
        node.trafficShare = number(&r)
        node.clusterAvailabilityIfDrained = number(&r)
        node.ejectedFor = maybe(&r) { Double(Int.random(in: -100_000...100_000, using: &$0)) / 8 }
        node.group = maybe(&r) { text(&$0) }
        node.tags = (0..<Int.random(in: 0...3, using: &r)).map { _ in text(&r) }
        node.fbStatus = maybe(&r) { ["ALIVE", "WARNING", "DEAD"].randomElement(using: &$0)! }
        node.statusDetails = text(&r)
        node.connected = .random(using: &r)
        node.serving = .random(using: &r)
        node.latencyP50 = maybe(&r) { number(&$0) }
        node.latencyP90 = maybe(&r) { number(&$0) }
        node.latencyMax = maybe(&r) { number(&$0) }
        node.latencyEWMA = maybe(&r) { number(&$0) }
        node.recentLatencies = (0..<Int.random(in: 0...20, using: &r)).map { _ in number(&r) }
        node.latencyHistogram = (0..<Int.random(in: 0...4, using: &r)).map { _ in
            LatencyBucket(upperBoundMillis: Bool.random(using: &r) ? .infinity : number(&r), count: integer(&r))
        }
        node.heartbeatsOK = integer(&r)
        node.heartbeatsFailed = integer(&r)
        node.phi = number(&r)
        node.calls = integer(&r)
        node.callFailures = integer(&r)
        node.retries = integer(&r)
        node.weight = integer(&r)
        node.configuredWeight = integer(&r)
        node.availability = number(&r)
        node.operatorDrained = .random(using: &r)
        node.lastError = maybe(&r) { text(&$0) }
        node.serverName = maybe(&r) { text(&$0) }
        node.serverVersion = maybe(&r) { text(&$0) }
        node.aliveSince = maybe(&r) { Int64(time(&$0).rounded(.down)) }
        node.counters = Dictionary((0..<Int.random(in: 0...6, using: &r)).map { _ in (text(&r), Int64(integer(&r))) }, uniquingKeysWith: { a, _ in a })
        node.lastChange = maybe(&r) { r in
            OperatorChange(user: text(&r), instance: text(&r), time: time(&r), action: text(&r), reason: maybe(&r) { text(&$0) },
                           localOnly: .random(using: &r))
        }
        node.tls = maybe(&r) { r in
            NodeTLS(version: maybe(&r) { text(&$0) },
                    certificate: maybe(&r) { r in
                        PeerCertificate(subject: text(&r), issuer: text(&r), alternativeNames: (0..<Int.random(in: 0...3, using: &r)).map { _ in text(&r) },
                                        notValidBefore: time(&r), notValidAfter: time(&r))
                    },
                    insecureSkipVerify: .random(using: &r), certWarnDays: integer(&r))
        }
        return node
    }

    static func event(_ r: inout SplitMix64) -> PoolEvent {
        PoolEvent(id: .random(in: 0 ... .max, using: &r), time: time(&r), node: maybe(&r) { text(&$0) },
                  severity: EventSeverity.allCases.randomElement(using: &r)!, kind: PoolEvent.Kind.allCases.randomElement(using: &r)!,
                  message: text(&r))
    }

    static let pieces = ["", "db-1", "ünïcødé", "日本語", "😀", "a\"quote", "back\\slash", "http://h:2379/x/", "tab\there", "line\nbreak",
                         "\u{0}\u{1}\u{8}\u{C}\u{1F}\u{7F}", "\u{2028}", "e\u{301}", "Z", "a10", "a9", "_x", "A b", "\r\n"]

    static func text(_ r: inout SplitMix64) -> String {
        (0..<Int.random(in: 0...3, using: &r)).map { _ in pieces.randomElement(using: &r)! }.joined()
    }

    /// Edges (negative, huge, tiny, subnormal, -0), milliseconds as the pool measures them, and
    /// any finite bit pattern.
    static func number(_ r: inout SplitMix64) -> Double {
        switch Int.random(in: 0...5, using: &r) {
        case 0:
            let edges: [Double] = [0, -0.0, 1, -1, 0.1 + 0.2, 1e16, 1e-5, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, -1e300, 1e21]
            return edges.randomElement(using: &r)!
        case 1: return Double(Int.random(in: 0...10_000_000, using: &r)) / 1e6
        case 2: return Double.random(in: 0...1, using: &r)
        case 3: return Double(Int.random(in: -1000...1000, using: &r))
        default:
            var value: Double
            repeat { value = Double(bitPattern: r.next()) } while !value.isFinite
            return value
        }
    }

    static func integer(_ r: inout SplitMix64) -> Int {
        let choices: [Int] = [0, 1, -1, .max, .min, .random(in: 0...100, using: &r), .random(in: .min ... .max, using: &r)]
        return choices.randomElement(using: &r)!
    }

    /// Whole or half seconds from year 1 to 9999, mostly around now.
    static func time(_ r: inout SplitMix64) -> Double {
        let seconds = Bool.random(using: &r) ? Int64.random(in: 1_700_000_000...1_900_000_000, using: &r)
            : Int64.random(in: Int64(RFC3339.representable.lowerBound)...Int64(RFC3339.representable.upperBound) - 1, using: &r)
        return Double(seconds) + (Bool.random(using: &r) ? 0.5 : 0)
    }

    static func maybe<T>(_ r: inout SplitMix64, _ make: (inout SplitMix64) -> T) -> T? {
        Bool.random(using: &r) ? make(&r) : nil
    }
}

/// A small seeded generator (SplitMix64): the same seed, the same snapshots.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
