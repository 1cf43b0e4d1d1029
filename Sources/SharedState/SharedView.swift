import ClusterModel
import ClusterPool
import EtcdClient

/// This instance's copy of the shared state: every node's record with its etcd mod revision,
/// complete up to `revision`. Built from a full read, kept up to date by watch events. A value
/// that does not decode leaves the last good one in place, and is reported once.
public struct SharedView: Sendable, Equatable {
    public struct Entry: Sendable, Equatable, Codable {
        public var record: SharedNodeRecord
        public var modRevision: Int64

        enum CodingKeys: String, CodingKey { case record, modRevision = "mod_revision" }
    }

    /// What applying a read or a batch of events brought: changes made elsewhere (events naming
    /// who, from which instance), and notes about keys that were not taken.
    public struct Applied: Sendable, Equatable {
        public var announce: [String: OperatorChange] = [:]
        public var warnings: [String] = []
        public var notes: [String] = []
        public var changed = false
    }

    public let keys: SharedKeys
    public private(set) var revision: Int64 = 0
    public private(set) var entries: [String: Entry] = [:]
    /// Per node key, the mod revision of a bad value already reported.
    private var reported: [String: Int64] = [:]
    /// Per node, the mod revision of its key's newest value, good or bad: what a write compares.
    private var latest: [String: Int64] = [:]

    public init(keys: SharedKeys) { self.keys = keys }

    /// The pool's form: drain, weight and last change by node name.
    public var poolState: [String: SharedNodeState] { entries.mapValues(\.record.state) }

    /// The node's key's mod revision, 0 when it has none (etcd's "absent").
    /// A bad value counts: an operator's write replaces it on purpose.
    public func modRevision(of name: String) -> Int64 { latest[name] ?? entries[name]?.modRevision ?? 0 }

    /// Takes a full read of the prefix. `announcing`: changes since the view's last state are
    /// reported (a resync after a gap), not on the first read.
    public mutating func replace(with range: EtcdRange, announcing: Bool) -> Applied {
        var applied = Applied()
        var seen = Set<String>()
        for kv in range.kvs {
            guard let name = keys.nodeName(of: kv.key) else {
                if !kv.key.hasPrefix(keys.history) { note(ignored: kv.key, into: &applied) }
                continue
            }
            seen.insert(name)
            take(name, kv, announcing: announcing, into: &applied)
        }
        for name in latest.keys where !seen.contains(name) && entries[name] == nil { latest[name] = nil }
        for name in entries.keys where !seen.contains(name) {
            entries[name] = nil
            latest[name] = nil
            applied.changed = true
            if announcing { applied.notes.append("etcd key \(keys.node(name)) was deleted: \(name) is serving at its configured weight") }
        }
        revision = range.revision
        return applied
    }

    /// Takes watch events in order.
    public mutating func apply(_ batch: EtcdWatchBatch) -> Applied {
        var applied = Applied()
        for event in batch.events {
            switch event {
            case let .put(kv):
                guard let name = keys.nodeName(of: kv.key) else {
                    if !kv.key.hasPrefix(keys.history) { note(ignored: kv.key, into: &applied) }
                    continue
                }
                take(name, kv, announcing: true, into: &applied)
            case let .delete(key, _):
                guard let name = keys.nodeName(of: key) else { continue }
                latest[name] = nil
                guard entries[name] != nil else { continue }
                entries[name] = nil
                applied.changed = true
                applied.notes.append("etcd key \(key) was deleted: \(name) is serving at its configured weight")
            }
        }
        revision = max(revision, batch.revision)
        return applied
    }

    /// This instance's own write, known before the watch brings it. The view stays complete up
    /// to `txnRevision` only when that write was the store's one change since (`revision + 1`).
    public mutating func wrote(_ name: String, _ record: SharedNodeRecord, txnRevision: Int64) {
        entries[name] = Entry(record: record, modRevision: txnRevision)
        latest[name] = txnRevision
        if txnRevision == revision + 1 { revision = txnRevision }
    }

    /// Back to what a cache holds: the revision and every node's record as last seen.
    mutating func restore(_ cache: SharedStateCache) {
        entries = cache.nodes
        latest = cache.nodes.mapValues(\.modRevision)
        revision = cache.revision
    }

    private mutating func take(_ name: String, _ kv: EtcdKeyValue, announcing: Bool, into applied: inout Applied) {
        let old = entries[name]
        guard kv.modRevision != modRevision(of: name) else { return }
        latest[name] = kv.modRevision
        switch SharedNodeRecord.decode(kv.value) {
        case let .success(record):
            entries[name] = Entry(record: record, modRevision: kv.modRevision)
            reported[name] = nil
            applied.changed = true
            if announcing, old?.record != record { applied.announce[name] = record.state.change }
        case let .failure(problem):
            guard reported[name] != kv.modRevision else { return }
            reported[name] = kv.modRevision
            let kept = old.map { "keeping the last good value (\(SharedNodeRecord.describe($0.record)), by \($0.record.user) on \($0.record.instance))" }
                ?? "ignored (\(name) has no earlier shared value: serving at its configured weight)"
            applied.warnings.append("etcd key \(kv.key): \(problem); \(kept)")
        }
    }

    private mutating func note(ignored key: String, into applied: inout Applied) {
        guard reported[key] == nil else { return }
        reported[key] = 0
        applied.notes.append("etcd key \(Self.printable(key)) under the prefix is not one thrifttop writes (nodes/NAME, history/…); ignored")
    }

    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }
}
