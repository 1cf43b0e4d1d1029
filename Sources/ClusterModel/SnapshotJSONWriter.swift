/// Writes a snapshot's JSON form straight into a byte buffer: what the admin stream sends (every
/// delta and snapshot) and `GET /v1/snapshot` answers.
///
/// Why it exists: `JSONEncoder` boxes every value of a snapshot into a tree of its own, sorts the
/// keys of each object and only then writes. With a dashboard attached, `thrifttop serve` at
/// 1,000 nodes encodes a delta every 100 ms, and that encoder was most of its CPU. This writes
/// each object's members as they stand, already in sorted order, into one buffer.
///
/// The form is the one `ClusterSnapshot+JSON.swift` defines — that Codable conformance stays the
/// reference — and the bytes are those `JSONEncoder` writes with `.sortedKeys`: members in key
/// order, absent optionals left out, numbers as Swift's shortest round-trip `description`
/// without a trailing `.0`, strings with `"`, `\`, `/` and control characters escaped as it
/// escapes them. `SnapshotJSONWriterTests` holds it to that on many varied snapshots.
///
/// One difference: a number that is not finite, for which `JSONEncoder` throws (the whole
/// snapshot fails), is written as `null`, which every reader takes as the field absent (0 or
/// nil) — as a histogram bucket's +∞ is `null` in the reference too; a non-finite sample in
/// `recent_ms`, a list that cannot hold `null`, is left out.
public struct SnapshotJSONWriter: Sendable {
    /// What has been written so far: take it, or add to it (the admin stream adds a member).
    public var bytes: [UInt8]

    public init(bytes: [UInt8] = []) {
        self.bytes = bytes
    }

    // MARK: The snapshot's objects, members in sorted key order

    public mutating func write(_ snapshot: ClusterSnapshot) {
        // About what a node takes (a dashboard's node is 2-3 KB): room made once, not doubled ten times.
        bytes.reserveCapacity(bytes.count + 1024 + snapshot.nodes.count * 2048)
        bytes.append(UInt8(ascii: "{"))
        key("availability"); number(snapshot.availability)
        key("balancer"); string(snapshot.balancer)
        optionalNumber("call_p99_ms", snapshot.callLatencyP99)
        optionalNumber("call_success_ratio", snapshot.callSuccessRatio)
        key("calls_per_second"); number(snapshot.callsPerSecond)
        key("cluster"); string(snapshot.clusterName)
        key("events"); list(snapshot.events) { $0.write($1) }
        key("listeners"); write(snapshot.listeners)
        key("methods"); list(snapshot.methods) { $0.write($1) }
        key("min_routable"); integer(Int64(snapshot.rules.minRoutable))
        key("nodes"); list(snapshot.nodes) { $0.write($1) }
        key("panic_mode"); bool(snapshot.panicMode)
        key("panic_threshold"); number(snapshot.rules.panicThreshold)
        key("retries_per_second"); number(snapshot.retriesPerSecond)
        key("schema_version"); integer(Int64(ClusterSnapshot.schemaVersion))
        if let store = snapshot.stateStore { key("state_store"); write(store) }
        key("time"); time(snapshot.wallTime)
        key("undo_by_operator"); stringMap(snapshot.undoable)
        key("version"); unsigned(snapshot.version)
        bytes.append(UInt8(ascii: "}"))
    }

    /// A JSON array of strings (a snapshot's `listeners`, a delta's `removed_nodes`).
    /// `text` as a JSON string, quoted and escaped as the snapshot's strings are.
    public static func quoted(_ text: String) -> String {
        var writer = SnapshotJSONWriter()
        writer.string(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    public mutating func write(_ strings: [String]) {
        list(strings) { $0.string($1) }
    }

    private mutating func write(_ node: NodeSnapshot) {
        bytes.append(UInt8(ascii: "{"))
        key("address"); string(node.address)
        if let since = node.aliveSince { key("alive_since"); time(Double(since)) }
        key("availability"); number(node.availability)
        key("call_failures"); integer(Int64(node.callFailures))
        key("calls"); integer(Int64(node.calls))
        key("cluster_availability_if_drained"); number(node.clusterAvailabilityIfDrained)
        key("configured_weight"); integer(Int64(node.configuredWeight))
        key("connected"); bool(node.connected)
        key("counters"); counters(node.counters)
        key("drained"); bool(node.operatorDrained)
        if let ejected = node.ejectedFor { key("ejected_for_ms"); number(ejected * 1000) }
        optionalNumber("ewma_ms", node.latencyEWMA)
        optionalString("fb_status", node.fbStatus)
        if let at = node.fbStatusAt { key("fb_status_at"); time(at) }
        optionalString("group", node.group)
        key("health"); string(node.health.rawValue)
        optionalNumber("heartbeat_timeout_ms", node.heartbeatTimeoutMillis)
        key("heartbeats_failed"); integer(Int64(node.heartbeatsFailed))
        key("heartbeats_ok"); integer(Int64(node.heartbeatsOK))
        key("histogram"); list(node.latencyHistogram) { $0.write($1) }
        key("in_flight"); integer(Int64(node.inFlight))
        if let change = node.lastChange { key("last_change"); write(change) }
        optionalString("last_error", node.lastError)
        if let at = node.lastErrorAt { key("last_error_at"); time(at) }
        optionalNumber("max_ms", node.latencyMax)
        key("name"); string(node.name)
        optionalNumber("p50_ms", node.latencyP50)
        optionalNumber("p90_ms", node.latencyP90)
        optionalNumber("p99_ms", node.latencyP99)
        key("phi"); number(node.phi)
        key("recent_ms"); list(node.recentLatencies.lazy.filter(\.isFinite)) { $0.number($1) }
        key("reply_headers"); write(node.replyHeaders)
        key("retries"); integer(Int64(node.retries))
        key("routable"); bool(node.routable)
        optionalString("server_name", node.serverName)
        optionalString("server_version", node.serverVersion)
        key("serving"); bool(node.serving)
        key("status_details"); string(node.statusDetails)
        key("tags"); write(node.tags)
        if let tls = node.tls { key("tls"); write(tls) }
        key("traffic_share"); number(node.trafficShare)
        key("weight"); integer(Int64(node.weight))
        key("wire"); string(node.wire)
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(_ method: MethodSnapshot) {
        bytes.append(UInt8(ascii: "{"))
        key("calls_per_second"); number(method.callsPerSecond)
        key("name"); string(method.name)
        key("nodes"); list(method.nodes) { $0.write($1) }
        key("outcomes"); write(method.outcomes)
        optionalNumber("p50_ms", method.latencyP50)
        optionalNumber("p99_ms", method.latencyP99)
        key("recent_rates"); list(method.recentRates.lazy.filter(\.isFinite)) { $0.number($1) }
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(_ figures: MethodNodeFigures) {
        bytes.append(UInt8(ascii: "{"))
        key("node"); string(figures.node)
        key("outcomes"); write(figures.outcomes)
        optionalNumber("p50_ms", figures.latencyP50)
        optionalNumber("p99_ms", figures.latencyP99)
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(_ outcomes: MethodOutcomes) {
        bytes.append(UInt8(ascii: "{"))
        key("application_exception"); counters(outcomes.applicationException.mapValues { Int64($0) })
        key("declared_exception"); integer(Int64(outcomes.declaredException))
        key("refused"); integer(Int64(outcomes.refused))
        key("sent"); integer(Int64(outcomes.sent))
        key("success"); integer(Int64(outcomes.success))
        key("timeout"); integer(Int64(outcomes.timeout))
        key("transport"); integer(Int64(outcomes.transport))
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(_ event: PoolEvent) {
        bytes.append(UInt8(ascii: "{"))
        key("id"); unsigned(event.id)
        key("kind"); string(event.kind.rawValue)
        key("message"); string(event.message)
        optionalString("node", event.node)
        key("severity"); string(event.severity.description)
        key("time"); time(event.time)
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(_ bucket: LatencyBucket) {
        bytes.append(UInt8(ascii: "{"))
        key("count"); integer(Int64(bucket.count))
        key("le_ms"); number(bucket.upperBoundMillis)  // +∞ (the open-ended bar) is null
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(_ change: OperatorChange) {
        bytes.append(UInt8(ascii: "{"))
        key("action"); string(change.action)
        key("instance"); string(change.instance)
        if change.localOnly { key("local_only"); bool(true) }
        optionalString("reason", change.reason)
        key("time"); time(change.time)
        key("user"); string(change.user)
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(_ tls: NodeTLS) {
        bytes.append(UInt8(ascii: "{"))
        key("cert_warn_days"); integer(Int64(tls.certWarnDays))
        if let certificate = tls.certificate {
            key("certificate")
            bytes.append(UInt8(ascii: "{"))
            key("issuer"); string(certificate.issuer)
            key("not_after"); time(certificate.notValidAfter)
            key("not_before"); time(certificate.notValidBefore)
            key("sans"); write(certificate.alternativeNames)
            key("subject"); string(certificate.subject)
            bytes.append(UInt8(ascii: "}"))
        }
        key("insecure_skip_verify"); bool(tls.insecureSkipVerify)
        optionalString("version", tls.version)
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(_ store: StateStoreStatus) {
        bytes.append(UInt8(ascii: "{"))
        key("kind"); string(store.kind)
        key("local_pending"); integer(Int64(store.localPending))
        key("location"); string(store.location)
        optionalString("notice", store.notice)
        optionalString("reason", store.reason)
        key("routing_held"); bool(store.routingHeld)
        if let since = store.unreachableSince { key("unreachable_since"); time(since) }
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func stringMap(_ map: [String: String]) { object(map) { $0.string($1) } }

    private mutating func counters(_ counters: [String: Int64]) { object(counters) { $0.integer($1) } }

    /// A JSON object with its keys sorted as `JSONEncoder` sorts them on Linux: by their UTF-8
    /// bytes (not by `String`'s `<`, which orders canonically equivalent forms apart from their
    /// bytes).
    private mutating func object<Value>(_ map: [String: Value], _ value: (inout Self, Value) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        for (name, element) in map.sorted(by: { Self.utf8Precedes($0.key, $1.key) }) {
            if bytes.last != UInt8(ascii: "{") { bytes.append(UInt8(ascii: ",")) }
            string(name)
            bytes.append(UInt8(ascii: ":"))
            value(&self, element)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// `a.utf8.lexicographicallyPrecedes(b.utf8)`, on the bytes in place: that generic form was a
    /// fifth of the writer's time (nine counters a node, sorted for every write).
    private static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                for i in 0..<min(x.count, y.count) where x[i] != y[i] { return x[i] < y[i] }
                return x.count < y.count
            }
        }
    }

    // MARK: Values

    /// `"name":`, after a comma unless it is the object's first member. The names are the
    /// form's own (snake_case ASCII): nothing to escape.
    private mutating func key(_ name: StaticString) {
        if bytes.last != UInt8(ascii: "{") { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    private mutating func list<S: Sequence>(_ elements: S, _ element: (inout Self, S.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for value in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            element(&self, value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func optionalString(_ name: StaticString, _ value: String?) {
        if let value { key(name); string(value) }
    }

    private mutating func optionalNumber(_ name: StaticString, _ value: Double?) {
        if let value { key(name); number(value) }
    }

    private mutating func bool(_ value: Bool) {
        let word: StaticString = value ? "true" : "false"
        word.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Swift's `description` is the shortest text that reads back as the same Double; JSONEncoder
    /// drops its `.0` from whole numbers (`2`, not `2.0`; `1e+16` stays).
    private mutating func number(_ value: Double) {
        guard value.isFinite else {
            bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
            return
        }
        // The same text as `description`, written through a stream instead of made into a String.
        var sink = DigitSink()
        swap(&sink.bytes, &bytes)
        value.write(to: &sink)
        swap(&sink.bytes, &bytes)
        if bytes.count >= 2, bytes[bytes.count - 2] == UInt8(ascii: "."), bytes[bytes.count - 1] == UInt8(ascii: "0") {
            bytes.removeLast(2)
        }
    }

    private mutating func integer(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        unsigned(value.magnitude)
    }

    /// Decimal digits, written from the last one back into room made for them.
    private mutating func unsigned(_ value: UInt64) {
        var count = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        var index = bytes.count + count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        rest = value
        repeat {
            index -= 1
            bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        } while rest > 0
    }

    private mutating func time(_ seconds: Double) {
        bytes.append(UInt8(ascii: "\""))
        RFC3339.append(unixSeconds: seconds, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Runs of bytes that need no escape are copied whole; text in the pool is sanitized, so
    /// escapes are rare.
    private mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "/") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                escape(byte)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// As JSONEncoder escapes: the short forms JSON has, `\/` for a slash, `\u00XX` (lowercase
    /// hex) for any other control character.
    private mutating func escape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "t"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        }
    }
}

/// Where `Double.write(to:)` puts a number's text: the standard library hands it over as ASCII
/// bytes (`_writeASCII`), which go into the buffer as they are; without that hook it would make a
/// String of them, one allocation for every number of 16 characters or more (most latencies).
private struct DigitSink: TextOutputStream {
    var bytes: [UInt8] = []

    mutating func write(_ string: String) {
        bytes.append(contentsOf: string.utf8)
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
    }
}

extension ClusterSnapshot {
    /// The snapshot's JSON form, as `SnapshotJSONWriter` writes it.
    public func jsonBytes() -> [UInt8] {
        var writer = SnapshotJSONWriter()
        writer.write(self)
        return writer.bytes
    }
}
