import ClusterModel
import NIOCore

/// How one call, or one attempt of it on a node, ended, as the methods view tells them apart.
enum MethodOutcome: Equatable, Sendable {
    case success
    /// An exception the IDL declares: the server's own answer.
    case declared
    /// A TApplicationException, by its type's name.
    case application(String)
    case timeout
    case transport
    /// Refused by the pool before any node.
    case refused
    /// A oneway call, written.
    case sent
}

extension MethodOutcomes {
    mutating func add(_ outcome: MethodOutcome) {
        switch outcome {
        case .success: success += 1
        case .declared: declaredException += 1
        case let .application(kind): applicationException[kind, default: 0] += 1
        case .timeout: timeout += 1
        case .transport: transport += 1
        case .refused: refused += 1
        case .sent: sent += 1
        }
    }
}

/// Outcomes over a sliding window of 1–2 × `half` (two alternating halves, as `LatencyWindow`
/// keeps latency): what a method does now, not since the pool started, so an outage shows at
/// once and is gone from the figures a minute after it ended.
struct WindowedOutcomes {
    static let half = TimeAmount.seconds(30)
    private var current = MethodOutcomes()
    private var previous = MethodOutcomes()
    private var rotatedAt: NIODeadline?

    mutating func add(_ outcome: MethodOutcome, at now: NIODeadline) {
        rotate(at: now)
        current.add(outcome)
    }

    mutating func rotate(at now: NIODeadline) {
        guard let rotated = rotatedAt else {
            rotatedAt = now
            return
        }
        if now - rotated >= Self.half * 2 {
            (current, previous, rotatedAt) = (MethodOutcomes(), MethodOutcomes(), now)
        } else if now - rotated >= Self.half {
            (previous, current, rotatedAt) = (current, MethodOutcomes(), now)
        }
    }

    var outcomes: MethodOutcomes { current + previous }
}

/// Calls in each of the last `RateRing.seconds` seconds: a method's calls/s and its sparkline.
struct RateRing {
    /// The sparkline's seconds and the one under way.
    static let seconds = MethodTable.sparklineSeconds + 1
    private var slots = [(second: Int64, count: Int)](repeating: (-1, 0), count: RateRing.seconds)

    mutating func count(at now: NIODeadline) {
        let second = Int64(now.uptimeNanoseconds / 1_000_000_000)
        let slot = Int(second % Int64(slots.count))
        if slots[slot].second != second { slots[slot] = (second, 0) }
        slots[slot].count += 1
    }

    /// Calls of each of the `last` whole seconds before `now`, oldest first.
    func recent(_ last: Int, at now: NIODeadline) -> [Int] {
        let current = Int64(now.uptimeNanoseconds / 1_000_000_000)
        return (1 ... min(last, slots.count - 1)).reversed().map { back in
            let second = current - Int64(back)
            let slot = slots[Int(((second % Int64(slots.count)) + Int64(slots.count)) % Int64(slots.count))]
            return slot.second == second ? slot.count : 0
        }
    }
}

/// Per method, every call through the pool and every attempt on a node: outcomes, latency and
/// rate, for the methods view, the snapshot and the metrics.
///
/// Bounded: at most `capacity` methods by name; the calls of any further method are counted as
/// `(other)`, so a client inventing method names cannot grow memory past it. Per node, a
/// method's figures exist only for the nodes it went to.
struct MethodTable {
    /// One method's figures.
    struct Record {
        let name: String
        var outcomes = WindowedOutcomes()
        var latency = LatencyWindow(halfWindow: .seconds(30), sampleCapacity: 1)
        var rate = RateRing()
        /// By node index.
        var nodes: [Int: NodeRecord] = [:]
    }

    /// One method on one node.
    struct NodeRecord {
        var outcomes = WindowedOutcomes()
        var latency = LatencyWindow(halfWindow: .seconds(30), sampleCapacity: 1)
    }

    /// Calls/s is read over this many whole seconds; the sparkline shows `sparklineSeconds`.
    static let rateSeconds = 5
    static let sparklineSeconds = 30

    let capacity: Int
    /// Raw names (as clients send them) to records; several raw names may clean to one record.
    private var indexByName: [String: Int] = [:]
    /// Records by their cleaned name: what is shown, labelled and merged by.
    private var indexByShownName: [String: Int] = [:]
    private(set) var records: [Record] = []
    /// The record of `(other)`, once the cap is reached.
    private var otherIndex: Int?
    /// The first method turned away by the cap, until `recordCall` has reported it.
    private var turnedAway: String?
    private var capSaid = false
    /// Per-node records of all methods together: each holds latency histograms, so nodes ×
    /// methods is bounded too; past it, a method's attempts on a node it had not reached are
    /// counted for the cluster only.
    static let maxNodeRecords = 10_000
    private(set) var nodeRecords = 0
    /// The figures as last worked out, when, and whether a call came since: a large table is
    /// worked out at most once a second (each per-node record reads its histograms), a small
    /// one whenever it changed.
    private var shown: (methods: [MethodSnapshot], at: NIODeadline)?
    private var changedSinceShown = false
    static let largeTable = 1000

    init(capacity: Int) { self.capacity = max(0, capacity) }

    /// With a capacity of 0 nothing is counted: the accounting is off.
    var isOn: Bool { capacity > 0 }

    /// The record for `name`; past the cap, `(other)`'s.
    private mutating func index(of name: String) -> Int {
        if let index = indexByName[name] { return index }
        // The name comes from a client: cleaned before any screen, log or label shows it, and
        // names that clean alike are one method.
        let shown = TextSanitizer.clean(name, maximumLength: 128)
        if let index = shown == MethodSnapshot.otherName ? otherIndex : indexByShownName[shown] {
            indexByName[name] = index
            return index
        }
        if indexByShownName.count < capacity, shown != MethodSnapshot.otherName {
            records.append(Record(name: shown))
            indexByName[name] = records.count - 1
            indexByShownName[shown] = records.count - 1
            return records.count - 1
        }
        // Past the cap (or a client's own "(other)"): said once, for the first method the cap
        // turned away.
        if shown != MethodSnapshot.otherName, !capSaid {
            capSaid = true
            turnedAway = name
        }
        if let otherIndex { return otherIndex }
        records.append(Record(name: MethodSnapshot.otherName))
        otherIndex = records.count - 1
        return records.count - 1
    }

    /// A call ended after all its attempts; `millis` from its start when it was answered.
    /// Returns the method it was counted under and, once, the first method the cap turned
    /// away (so the pool says it once).
    @discardableResult
    mutating func recordCall(_ name: String, _ outcome: MethodOutcome, millis: Double?, at now: NIODeadline) -> (method: String, turnedAway: String?) {
        let i = index(of: name)
        changedSinceShown = true
        records[i].outcomes.add(outcome, at: now)
        records[i].rate.count(at: now)
        if let millis { records[i].latency.record(millis: millis, at: now) }
        defer { turnedAway = nil }
        return (records[i].name, turnedAway)
    }

    /// One attempt of a call ended on node `node` (its index in the pool). Returns the method
    /// it was counted under.
    @discardableResult
    mutating func recordAttempt(_ name: String, node: Int, _ outcome: MethodOutcome, millis: Double?, at now: NIODeadline) -> String {
        let i = index(of: name)
        if records[i].nodes[node] == nil {
            guard nodeRecords < Self.maxNodeRecords else { return records[i].name }
            nodeRecords += 1
        }
        // In place: a copy out and back would copy the record's windows at every attempt.
        records[i].nodes[node, default: NodeRecord()].outcomes.add(outcome, at: now)
        if let millis { records[i].nodes[node, default: NodeRecord()].latency.record(millis: millis, at: now) }
        return records[i].name
    }

    /// A reload renumbered the nodes: `oldIndices[new]` is each node's old index, nil for a new
    /// node. The figures of removed nodes go.
    mutating func renumber(from oldIndices: [Int?]) {
        var newIndex: [Int: Int] = [:]
        for (new, old) in oldIndices.enumerated() { if let old { newIndex[old] = new } }
        nodeRecords = 0
        for i in records.indices {
            var moved: [Int: NodeRecord] = [:]
            for (old, record) in records[i].nodes { if let new = newIndex[old] { moved[new] = record } }
            records[i].nodes = moved
            nodeRecords += moved.count
        }
    }

    /// Every method's figures at `now` (see `shown` for how fresh); `name(index)` names a node
    /// (nil: gone).
    mutating func figures(at now: NIODeadline, name: (Int) -> String?) -> [MethodSnapshot] {
        if let shown {
            let due = now - shown.at >= .seconds(1)
            let small = records.count + nodeRecords <= Self.largeTable
            if !due && !(small && changedSinceShown) { return shown.methods }
        }
        let methods = snapshot(at: now, name: name)
        shown = (methods, now)
        changedSinceShown = false
        return methods
    }

    private mutating func snapshot(at now: NIODeadline, name: (Int) -> String?) -> [MethodSnapshot] {
        records.indices.map { i in
            records[i].latency.rotateIfDue(at: now)
            records[i].outcomes.rotate(at: now)
            for node in records[i].nodes.keys {
                records[i].nodes[node]?.outcomes.rotate(at: now)
                records[i].nodes[node]?.latency.rotateIfDue(at: now)
            }
            let record = records[i]
            let summary = record.latency.summary()
            let recent = record.rate.recent(Self.sparklineSeconds, at: now)
            let rate = Double(recent.suffix(Self.rateSeconds).reduce(0, +)) / Double(Self.rateSeconds)
            var nodes: [MethodNodeFigures] = []
            for (index, figures) in record.nodes.sorted(by: { $0.key < $1.key }) {
                guard let node = name(index) else { continue }
                let nodeSummary = figures.latency.summary()
                nodes.append(MethodNodeFigures(node: node, outcomes: figures.outcomes.outcomes, latencyP50: nodeSummary?.p50, latencyP99: nodeSummary?.p99))
            }
            return MethodSnapshot(name: record.name, outcomes: record.outcomes.outcomes, callsPerSecond: rate, latencyP50: summary?.p50,
                                  latencyP99: summary?.p99, recentRates: recent.map(Double.init), nodes: nodes)
        }
    }
}
