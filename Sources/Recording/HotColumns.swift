import ClusterModel

/// The figures of a node that move every second while nothing happens to it — heartbeat
/// counts and times, latencies, call counts, its counters — written between whole snapshots as
/// binary columns of changes instead of the node's JSON. A node whose change is only in these
/// figures costs a few bytes a second; any other change (state, drain, error, weight) sends the
/// node whole in the frame's JSON delta, so what this file does not know is recorded exactly.
///
/// Layout, for the nodes in the snapshot's order (which the writer checks is unchanged): one
/// column of field masks (a varint a node, 0 for an unchanged one), then a column a field, in
/// `Field` order, holding the new values of the nodes whose mask has its bit. Integers are
/// zigzag varints of the change; latencies are whole microseconds (`RecordingPrecision`).
enum HotColumns {
    /// How a column writes its figure, and the figure's getter and setter (closures, not key
    /// paths: a seek applies a minute of columns to every node, and a key path write costs
    /// several times a direct one).
    enum Kind {
        /// A time, as whole milliseconds of change.
        case millis(Figure<Double?>)
        /// A latency, as whole microseconds of change.
        case micros(Figure<Double?>)
        case integer(Figure<Int>)
        /// A figure kept bit for bit (8 bytes) when it changes.
        case double(Figure<Double>)
        /// The recent samples: how many left the front, and the new ones.
        case window
        /// The histogram's buckets whose counts changed.
        case histogram
        /// Every counter's change, in name order.
        case counters
    }

    /// One figure of a node: how to read it and to set it.
    struct Figure<Value> {
        var get: (NodeSnapshot) -> Value
        var set: (inout NodeSnapshot, Value) -> Void
    }

    /// The columns, in order: a column's place is its bit in a node's mask. Adding a hot
    /// figure is a line here.
    nonisolated(unsafe) static let columns: [Kind] = [
        .millis(Figure(get: { $0.fbStatusAt }, set: { $0.fbStatusAt = $1 })),
        .micros(Figure(get: { $0.latencyP50 }, set: { $0.latencyP50 = $1 })),
        .micros(Figure(get: { $0.latencyP90 }, set: { $0.latencyP90 = $1 })),
        .micros(Figure(get: { $0.latencyP99 }, set: { $0.latencyP99 = $1 })),
        .micros(Figure(get: { $0.latencyMax }, set: { $0.latencyMax = $1 })),
        .micros(Figure(get: { $0.latencyEWMA }, set: { $0.latencyEWMA = $1 })),
        .window, .histogram,
        .integer(Figure(get: { $0.heartbeatsOK }, set: { $0.heartbeatsOK = $1 })),
        .integer(Figure(get: { $0.heartbeatsFailed }, set: { $0.heartbeatsFailed = $1 })),
        .integer(Figure(get: { $0.calls }, set: { $0.calls = $1 })),
        .integer(Figure(get: { $0.callFailures }, set: { $0.callFailures = $1 })),
        .integer(Figure(get: { $0.retries }, set: { $0.retries = $1 })),
        .integer(Figure(get: { $0.inFlight }, set: { $0.inFlight = $1 })),
        .double(Figure(get: { $0.phi }, set: { $0.phi = $1 })),
        .double(Figure(get: { $0.trafficShare }, set: { $0.trafficShare = $1 })),
        .double(Figure(get: { $0.availability }, set: { $0.availability = $1 })),
        .double(Figure(get: { $0.clusterAvailabilityIfDrained }, set: { $0.clusterAvailabilityIfDrained = $1 })),
        .counters,
    ]

    /// `node` with every hot figure at its start: zero (an optional one stays nil if it is),
    /// no recent samples, the histogram's buckets and the counters' names with counts of 0. A
    /// whole snapshot is written as these in JSON and the columns from them to the figures:
    /// the JSON a seek decodes is then half as long.
    static func blank(_ node: NodeSnapshot) -> NodeSnapshot {
        var blank = node
        for column in columns {
            switch column {
            case let .millis(figure), let .micros(figure): figure.set(&blank, figure.get(node) == nil ? nil : 0)
            case let .integer(figure): figure.set(&blank, 0)
            case let .double(figure): figure.set(&blank, 0)
            case .window: blank.recentLatencies = []
            case .histogram: blank.latencyHistogram = node.latencyHistogram.map { LatencyBucket(upperBoundMillis: $0.upperBoundMillis, count: 0) }
            case .counters: blank.counters = node.counters.mapValues { _ in 0 }
            }
        }
        return blank
    }

    /// `current` with the hot figures of `last`: equal to `last` exactly when the node changed
    /// in hot figures only (or not at all).
    static func withHotFigures(of last: NodeSnapshot, in current: NodeSnapshot) -> NodeSnapshot {
        var node = current
        for column in columns {
            switch column {
            case let .millis(figure), let .micros(figure): figure.set(&node, figure.get(last))
            case let .integer(figure): figure.set(&node, figure.get(last))
            case let .double(figure): figure.set(&node, figure.get(last))
            case .window: node.recentLatencies = last.recentLatencies
            case .histogram: node.latencyHistogram = last.latencyHistogram
            case .counters: node.counters = last.counters
            }
        }
        return node
    }

    /// Whether the columns can carry the change from `last` to `current` (both already hot-only
    /// apart): a figure that appears or goes, a histogram of other bounds or counters of other
    /// names need the node whole.
    static func canCarry(from last: NodeSnapshot, to current: NodeSnapshot) -> Bool {
        columns.allSatisfy { column in
            switch column {
            case let .millis(figure), let .micros(figure): (figure.get(last) == nil) == (figure.get(current) == nil)
            case .histogram:
                last.latencyHistogram.map(\.upperBoundMillis).elementsEqual(current.latencyHistogram.map(\.upperBoundMillis), by: sameBits)
            case .counters: last.counters.count == current.counters.count && current.counters.keys.allSatisfy { last.counters[$0] != nil }
            case .integer, .double, .window: true
            }
        }
    }

    /// The columns for `pairs` (each node's last and current value, in snapshot order; nil for
    /// a node that is sent whole or did not change).
    static func encode(_ pairs: [(last: NodeSnapshot, current: NodeSnapshot)?]) -> [UInt8] {
        var masks = ByteWriter()
        var written = [ByteWriter](repeating: ByteWriter(), count: columns.count)
        for pair in pairs {
            guard let (last, now) = pair else { masks.varint(0); continue }
            var mask: UInt64 = 0
            for (index, column) in columns.enumerated() where write(column, from: last, to: now, into: &written[index]) {
                mask |= 1 << UInt64(index)
            }
            masks.varint(mask)
        }
        return written.reduce(into: masks.bytes) { $0.append(contentsOf: $1.bytes) }
    }

    /// Writes the column's change from `last` to `now`; false (nothing written) when there is none.
    private static func write(_ column: Kind, from last: NodeSnapshot, to now: NodeSnapshot, into out: inout ByteWriter) -> Bool {
        switch column {
        case let .millis(figure):
            guard let old = figure.get(last).map(RecordingPrecision.millis), let new = figure.get(now).map(RecordingPrecision.millis),
                  old != new else { return false }
            out.signed(new - old)
        case let .micros(figure):
            guard let old = figure.get(last), let new = figure.get(now), !sameBits(old, new) else { return false }
            out.signed(RecordingPrecision.micros(new) - RecordingPrecision.micros(old))
        case let .integer(figure):
            let (old, new) = (figure.get(last), figure.get(now))
            guard old != new else { return false }
            out.signed(Int64(new) - Int64(old))
        case let .double(figure):
            let (old, new) = (figure.get(last), figure.get(now))
            guard !sameBits(old, new) else { return false }
            out.fixed(new.bitPattern)
        case .window:
            guard last.recentLatencies != now.recentLatencies else { return false }
            writeWindow(from: last.recentLatencies, to: now.recentLatencies, into: &out)
        case .histogram:
            guard last.latencyHistogram != now.latencyHistogram else { return false }
            let changed = zip(last.latencyHistogram, now.latencyHistogram).enumerated().filter { $1.0.count != $1.1.count }
            out.varint(UInt64(changed.count))
            for (index, (old, new)) in changed {
                out.varint(UInt64(index))
                out.signed(Int64(new.count) - Int64(old.count))
            }
        case .counters:
            guard last.counters != now.counters else { return false }
            for name in now.counters.keys.sorted() { out.signed(now.counters[name]! &- last.counters[name]!) }
        }
        return true
    }

    /// A window of recent samples moves by dropping its oldest and adding new ones: written as
    /// how many went from the front and the new ones, in microseconds.
    private static func writeWindow(from old: [Double], to new: [Double], into column: inout ByteWriter) {
        let oldMicros = old.map(RecordingPrecision.micros)
        let newMicros = new.map(RecordingPrecision.micros)
        var dropped = oldMicros.count
        for drop in 0...oldMicros.count where newMicros.starts(with: oldMicros[drop...]) {
            dropped = drop
            break
        }
        column.varint(UInt64(dropped))
        let added = newMicros[(oldMicros.count - dropped)...]
        column.varint(UInt64(added.count))
        for value in added { column.signed(value) }
    }

    /// What went wrong reading the columns: the frame is damaged.
    struct Damaged: Error {}

    /// Applies the columns to `nodes` (the snapshot as the JSON part of the frame left it).
    static func apply(_ bytes: ArraySlice<UInt8>, to nodes: inout [NodeSnapshot]) throws(Damaged) {
        var reader = ByteReader(bytes)
        var masks: [UInt64] = []
        masks.reserveCapacity(nodes.count)
        for _ in nodes.indices { masks.append(try reader.varint()) }
        for (bit, column) in columns.enumerated() {
            for index in nodes.indices where masks[index] & (1 << UInt64(bit)) != 0 {
                try apply(column, from: &reader, to: &nodes[index])
            }
        }
        guard reader.atEnd, masks.allSatisfy({ $0 >> UInt64(columns.count) == 0 }) else { throw Damaged() }
    }

    private static func apply(_ column: Kind, from reader: inout ByteReader, to node: inout NodeSnapshot) throws(Damaged) {
        switch column {
        case let .millis(figure):
            guard let at = figure.get(node) else { throw Damaged() }
            figure.set(&node, RecordingPrecision.seconds(millis: RecordingPrecision.millis(at) &+ (try reader.signed())))
        case let .micros(figure):
            guard let value = figure.get(node) else { throw Damaged() }
            figure.set(&node, RecordingPrecision.milliseconds(micros: RecordingPrecision.micros(value) &+ (try reader.signed())))
        case let .integer(figure):
            let (sum, overflow) = Int64(figure.get(node)).addingReportingOverflow(try reader.signed())
            guard !overflow else { throw Damaged() }
            figure.set(&node, Int(sum))
        case let .double(figure):
            figure.set(&node, Double(bitPattern: try reader.fixed()))
        case .window:
            let dropped = Int(clamping: try reader.varint())
            let added = Int(clamping: try reader.varint())
            var window = node.recentLatencies
            guard dropped <= window.count, added <= RecordingFormat.maximumFrameSize else { throw Damaged() }
            window.removeFirst(dropped)
            for _ in 0..<added { window.append(RecordingPrecision.milliseconds(micros: try reader.signed())) }
            node.recentLatencies = window
        case .histogram:
            var buckets = node.latencyHistogram
            let changed = Int(clamping: try reader.varint())
            guard changed <= buckets.count else { throw Damaged() }
            for _ in 0..<changed {
                let index = Int(clamping: try reader.varint())
                guard buckets.indices.contains(index) else { throw Damaged() }
                let (sum, overflow) = Int64(buckets[index].count).addingReportingOverflow(try reader.signed())
                guard !overflow else { throw Damaged() }
                buckets[index].count = Int(sum)
            }
            node.latencyHistogram = buckets
        case .counters:
            var counters = node.counters
            for name in counters.keys.sorted() { counters[name] = counters[name]! &+ (try reader.signed()) }
            node.counters = counters
        }
    }

    private static func sameBits(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern }
}

/// How finely a recording keeps a node's figures: latencies to the microsecond (the screen shows
/// them to ten), times to the millisecond (as the JSON form writes them). The writer rounds each
/// snapshot first, so a whole snapshot and the columns after it agree exactly.
enum RecordingPrecision {
    static func micros(_ milliseconds: Double) -> Int64 { whole(milliseconds * 1000) }

    static func milliseconds(micros: Int64) -> Double { Double(micros) / 1000 }

    static func millis(_ seconds: Double) -> Int64 { whole(seconds * 1000) }

    /// Rounded to a whole number, within Int64 (a figure beyond it, or not finite, from a
    /// damaged or hostile source must not trap).
    private static func whole(_ value: Double) -> Int64 {
        guard value.isFinite else { return 0 }
        let rounded = value.rounded()
        return rounded >= 9.2e18 ? Int64.max : rounded <= -9.2e18 ? Int64.min : Int64(rounded)
    }

    static func seconds(millis: Int64) -> Double { Double(millis) / 1000 }

    static func rounded(_ value: Double?) -> Double? { value.map { milliseconds(micros: micros($0)) } }

    /// `snapshot` with each node's figures at the recording's precision.
    static func rounded(_ snapshot: ClusterSnapshot) -> ClusterSnapshot {
        var snapshot = snapshot
        for index in snapshot.nodes.indices {
            var node = snapshot.nodes[index]
            node.latencyP50 = rounded(node.latencyP50)
            node.latencyP90 = rounded(node.latencyP90)
            node.latencyP99 = rounded(node.latencyP99)
            node.latencyMax = rounded(node.latencyMax)
            node.latencyEWMA = rounded(node.latencyEWMA)
            node.recentLatencies = node.recentLatencies.filter(\.isFinite).map { milliseconds(micros: micros($0)) }
            node.fbStatusAt = node.fbStatusAt.map { seconds(millis: millis($0)) }
            snapshot.nodes[index] = node
        }
        return snapshot
    }
}
