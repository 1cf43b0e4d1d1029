import ClusterModel
import ClusterPool
import Foundation

/// This instance's copy of the last shared state it saw (`state_file` with `store = "etcd"`):
/// what it routes on if it starts while etcd is unreachable, never "nothing drained".
public struct SharedStateCache: Codable, Sendable, Equatable {
    /// Bumped when a field changes meaning; a newer cache is refused by name.
    static let schemaVersion = 1
    var schemaVersion = SharedStateCache.schemaVersion
    public var revision: Int64
    /// RFC 3339 UTC: when this instance wrote it.
    public var written: String
    public var nodes: [String: SharedView.Entry]
    /// Actions made here only while etcd was unreachable, still to write back.
    var pending: LocalChanges?

    enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version", revision = "etcd_revision", written, nodes, pending = "local_pending" }

    init(view: SharedView, pending: LocalChanges, written: Double) {
        revision = view.revision
        self.written = RFC3339.string(fromUnixSeconds: written)
        nodes = view.entries
        self.pending = pending.isEmpty ? nil : pending
    }

    /// nil when there is no file; throws naming the file when it is not a cache.
    public static func read(_ path: String) throws -> SharedStateCache? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let cache: SharedStateCache
        do {
            cache = try JSONDecoder().decode(SharedStateCache.self, from: data)
        } catch {
            throw SharedValueError(description: "\(path) is not a thrifttop shared-state cache (schema_version, etcd_revision, written, nodes): \(SharedNodeRecord.problem(error))")
        }
        guard cache.schemaVersion <= Self.schemaVersion else {
            throw SharedValueError(description: "\(path) is a shared-state cache of schema_version \(cache.schemaVersion), newer than this thrifttop reads (\(Self.schemaVersion))")
        }
        return cache
    }

    /// Atomically, as the state file is (a crash leaves the old or the new file).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try OperatorPersistence.writeAtomically(try encoder.encode(self), to: path)
    }
}

extension SharedView {
    /// The view a cache holds: its revision and every node's record and mod revision as last seen.
    init(keys: SharedKeys, cache: SharedStateCache) {
        self.init(keys: keys)
        restore(cache)
    }
}
