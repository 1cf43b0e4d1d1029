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
    /// Per node, the revision of the newest put or delete seen of its key: the view only moves
    /// forward, whether a change comes by the watch, a full read or this instance's own write.
    private var known: [String: Int64] = [:]
    /// Per node, the mod revision of the value its key holds now, good or bad (absent: none).
    private var present: [String: Int64] = [:]

    public init(keys: SharedKeys) { self.keys = keys }

    /// The pool's form: drain, weight and last change by node name.
    public var poolState: [String: SharedNodeState] { entries.mapValues(\.record.state) }

    /// The node's key's mod revision, 0 when it has none (etcd's "absent"). A bad value counts:
    /// an operator's write replaces it on purpose.
    public func modRevision(of name: String) -> Int64 { present[name] ?? 0 }

    /// Takes a full read of the prefix. `announcing`: changes since the view's last state are
    /// reported (a resync after a gap), not on the first read. What the watch brought after the
    /// read was taken stays.
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
        for name in Set(present.keys).subtracting(seen) where (known[name] ?? 0) <= range.revision {
            delete(name, at: range.revision, announcing: announcing, into: &applied)
        }
        revision = max(revision, range.revision)
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
            case let .delete(key, modRevision):
                guard let name = keys.nodeName(of: key) else { continue }
                delete(name, at: modRevision, announcing: true, into: &applied)
            }
        }
        revision = max(revision, batch.revision)
        return applied
    }

    /// This instance's own write, known before the watch brings it (unless the watch already
    /// brought a later one). The view stays complete up to `txnRevision` only when that write was
    /// the store's one change since (`revision + 1`).
    public mutating func wrote(_ name: String, _ record: SharedNodeRecord, txnRevision: Int64) {
        guard txnRevision > (known[name] ?? 0) else { return }
        entries[name] = Entry(record: record, modRevision: txnRevision)
        known[name] = txnRevision
        present[name] = txnRevision
        if txnRevision == revision + 1 { revision = txnRevision }
    }

    /// Back to what a cache holds: the revision and every node's record as last seen.
    mutating func restore(_ cache: SharedStateCache) {
        entries = cache.nodes
        known = cache.nodes.mapValues(\.modRevision)
        present = known
        revision = cache.revision
    }

    private mutating func take(_ name: String, _ kv: EtcdKeyValue, announcing: Bool, into applied: inout Applied) {
        guard kv.modRevision > (known[name] ?? 0) else { return }
        known[name] = kv.modRevision
        present[name] = kv.modRevision
        let old = entries[name]
        switch SharedNodeRecord.decode(kv.value) {
        case let .success(record):
            entries[name] = Entry(record: record, modRevision: kv.modRevision)
            reported[name] = nil
            applied.changed = true
            if announcing, old?.record != record { applied.announce[name] = record.state.change }
        case let .failure(problem):
            guard reported[name] != kv.modRevision else { return }
            reported[name] = kv.modRevision
            let kept = old.map { "keeping the last good value (\(SharedNodeRecord.describe($0.record)), by \(OperatorIdentity.acting($0.record.user, on: $0.record.instance)))" }
                ?? "ignored (\(name) has no earlier shared value: serving at its configured weight)"
            applied.warnings.append("etcd key \(Self.printable(kv.key)): \(problem); \(kept)")
        }
    }

    private mutating func delete(_ name: String, at revision: Int64, announcing: Bool, into applied: inout Applied) {
        guard revision >= (known[name] ?? 0) else { return }
        known[name] = max(known[name] ?? 0, revision)
        present[name] = nil
        guard entries.removeValue(forKey: name) != nil else { return }
        applied.changed = true
        if announcing { applied.notes.append("etcd key \(Self.printable(keys.node(name))) was deleted: \(name) is serving at its configured weight") }
    }

    private mutating func note(ignored key: String, into applied: inout Applied) {
        guard reported[key] == nil else { return }
        reported[key] = 0
        applied.notes.append("etcd key \(Self.printable(key)) under the prefix is not one thrifttop writes (nodes/NAME, history/…); ignored")
    }

    static func printable(_ text: String) -> String { TextSanitizer.clean(text, maximumLength: 200) }
}
