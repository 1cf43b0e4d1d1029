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
    enum Field: Int, CaseIterable {
        case fbStatusAt, p50, p90, p99, max, ewma, recent, histogram
        case heartbeatsOK, heartbeatsFailed, calls, callFailures, retries, inFlight
        case phi, trafficShare, availability, ifDrained, counters

        var bit: UInt64 { 1 << UInt64(rawValue) }
    }

    /// `current` with the hot figures of `last`: equal to `last` exactly when the node changed
    /// in hot figures only (or not at all).
    static func withHotFigures(of last: NodeSnapshot, in current: NodeSnapshot) -> NodeSnapshot {
        var node = current
        node.fbStatusAt = last.fbStatusAt
        node.latencyP50 = last.latencyP50
        node.latencyP90 = last.latencyP90
        node.latencyP99 = last.latencyP99
        node.latencyMax = last.latencyMax
        node.latencyEWMA = last.latencyEWMA
        node.recentLatencies = last.recentLatencies
        node.latencyHistogram = last.latencyHistogram
        node.heartbeatsOK = last.heartbeatsOK
        node.heartbeatsFailed = last.heartbeatsFailed
        node.calls = last.calls
        node.callFailures = last.callFailures
        node.retries = last.retries
        node.inFlight = last.inFlight
        node.phi = last.phi
        node.trafficShare = last.trafficShare
        node.availability = last.availability
        node.clusterAvailabilityIfDrained = last.clusterAvailabilityIfDrained
        node.counters = last.counters
        return node
    }

    /// Whether the columns can carry the change from `last` to `current` (both already hot-only
    /// apart): a figure that appears or goes, a histogram of other bounds or counters of other
    /// names need the node whole.
    static func canCarry(from last: NodeSnapshot, to current: NodeSnapshot) -> Bool {
        (last.fbStatusAt == nil) == (current.fbStatusAt == nil)
            && (last.latencyP50 == nil) == (current.latencyP50 == nil)
            && (last.latencyP90 == nil) == (current.latencyP90 == nil)
            && (last.latencyP99 == nil) == (current.latencyP99 == nil)
            && (last.latencyMax == nil) == (current.latencyMax == nil)
            && (last.latencyEWMA == nil) == (current.latencyEWMA == nil)
            && last.latencyHistogram.map(\.upperBoundMillis).elementsEqual(current.latencyHistogram.map(\.upperBoundMillis), by: sameBits)
            && last.counters.count == current.counters.count && current.counters.keys.allSatisfy { last.counters[$0] != nil }
    }

    /// The columns for `pairs` (each node's last and current value, in snapshot order; nil for
    /// a node that is sent whole or did not change).
    static func encode(_ pairs: [(last: NodeSnapshot, current: NodeSnapshot)?]) -> [UInt8] {
        var masks = ByteWriter()
        var columns = [ByteWriter](repeating: ByteWriter(), count: Field.allCases.count)
        for pair in pairs {
            guard let (last, now) = pair else { masks.varint(0); continue }
            var mask: UInt64 = 0
            func int(_ field: Field, _ old: Int, _ new: Int) {
                guard old != new else { return }
                mask |= field.bit
                columns[field.rawValue].signed(Int64(new) - Int64(old))
            }
            func micros(_ field: Field, _ old: Double?, _ new: Double?) {
                guard let old, let new, !sameBits(old, new) else { return }
                mask |= field.bit
                columns[field.rawValue].signed(RecordingPrecision.micros(new) - RecordingPrecision.micros(old))
            }
            func double(_ field: Field, _ old: Double, _ new: Double) {
                guard !sameBits(old, new) else { return }
                mask |= field.bit
                columns[field.rawValue].fixed(new.bitPattern)
            }
            if let before = last.fbStatusAt.map(RecordingPrecision.millis), let new = now.fbStatusAt.map(RecordingPrecision.millis), before != new {
                mask |= Field.fbStatusAt.bit
                columns[Field.fbStatusAt.rawValue].signed(new - before)
            }
            micros(.p50, last.latencyP50, now.latencyP50)
            micros(.p90, last.latencyP90, now.latencyP90)
            micros(.p99, last.latencyP99, now.latencyP99)
            micros(.max, last.latencyMax, now.latencyMax)
            micros(.ewma, last.latencyEWMA, now.latencyEWMA)
            if last.recentLatencies != now.recentLatencies {
                mask |= Field.recent.bit
                writeWindow(from: last.recentLatencies, to: now.recentLatencies, into: &columns[Field.recent.rawValue])
            }
            if last.latencyHistogram != now.latencyHistogram {
                mask |= Field.histogram.bit
                let changed = zip(last.latencyHistogram, now.latencyHistogram).enumerated().filter { $1.0.count != $1.1.count }
                columns[Field.histogram.rawValue].varint(UInt64(changed.count))
                for (index, (old, new)) in changed {
                    columns[Field.histogram.rawValue].varint(UInt64(index))
                    columns[Field.histogram.rawValue].signed(Int64(new.count) - Int64(old.count))
                }
            }
            int(.heartbeatsOK, last.heartbeatsOK, now.heartbeatsOK)
            int(.heartbeatsFailed, last.heartbeatsFailed, now.heartbeatsFailed)
            int(.calls, last.calls, now.calls)
            int(.callFailures, last.callFailures, now.callFailures)
            int(.retries, last.retries, now.retries)
            int(.inFlight, last.inFlight, now.inFlight)
            double(.phi, last.phi, now.phi)
            double(.trafficShare, last.trafficShare, now.trafficShare)
            double(.availability, last.availability, now.availability)
            double(.ifDrained, last.clusterAvailabilityIfDrained, now.clusterAvailabilityIfDrained)
            if last.counters != now.counters {
                mask |= Field.counters.bit
                for name in now.counters.keys.sorted() {
                    columns[Field.counters.rawValue].signed(now.counters[name]! &- last.counters[name]!)
                }
            }
            masks.varint(mask)
        }
        var bytes = masks.bytes
        for column in columns {
            bytes.append(contentsOf: column.bytes)
        }
        return bytes
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
        for field in Field.allCases {
            for index in nodes.indices where masks[index] & field.bit != 0 {
                try apply(field, from: &reader, to: &nodes[index])
            }
        }
        guard reader.atEnd else { throw Damaged() }
    }

    private static func apply(_ field: Field, from reader: inout ByteReader, to node: inout NodeSnapshot) throws(Damaged) {
        func int(_ value: Int) throws(Damaged) -> Int {
            let change = try reader.signed()
            let (sum, overflow) = Int64(value).addingReportingOverflow(change)
            guard !overflow else { throw Damaged() }
            return Int(sum)
        }
        func micros(_ value: Double?) throws(Damaged) -> Double {
            guard let value else { throw Damaged() }
            return RecordingPrecision.milliseconds(micros: RecordingPrecision.micros(value) &+ (try reader.signed()))
        }
        switch field {
        case .fbStatusAt:
            guard let at = node.fbStatusAt else { throw Damaged() }
            node.fbStatusAt = RecordingPrecision.seconds(millis: RecordingPrecision.millis(at) &+ (try reader.signed()))
        case .p50: node.latencyP50 = try micros(node.latencyP50)
        case .p90: node.latencyP90 = try micros(node.latencyP90)
        case .p99: node.latencyP99 = try micros(node.latencyP99)
        case .max: node.latencyMax = try micros(node.latencyMax)
        case .ewma: node.latencyEWMA = try micros(node.latencyEWMA)
        case .recent:
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
                buckets[index].count = try int(buckets[index].count)
            }
            node.latencyHistogram = buckets
        case .heartbeatsOK: node.heartbeatsOK = try int(node.heartbeatsOK)
        case .heartbeatsFailed: node.heartbeatsFailed = try int(node.heartbeatsFailed)
        case .calls: node.calls = try int(node.calls)
        case .callFailures: node.callFailures = try int(node.callFailures)
        case .retries: node.retries = try int(node.retries)
        case .inFlight: node.inFlight = try int(node.inFlight)
        case .phi: node.phi = Double(bitPattern: try reader.fixed())
        case .trafficShare: node.trafficShare = Double(bitPattern: try reader.fixed())
        case .availability: node.availability = Double(bitPattern: try reader.fixed())
        case .ifDrained: node.clusterAvailabilityIfDrained = Double(bitPattern: try reader.fixed())
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
    static func micros(_ milliseconds: Double) -> Int64 {
        milliseconds.isFinite ? Int64(clamping: Int((milliseconds * 1000).rounded())) : 0
    }

    static func milliseconds(micros: Int64) -> Double { Double(micros) / 1000 }

    static func millis(_ seconds: Double) -> Int64 { seconds.isFinite ? Int64((seconds * 1000).rounded()) : 0 }

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
