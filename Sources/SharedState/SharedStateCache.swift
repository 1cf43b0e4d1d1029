import ClusterModel
import ClusterPool
import Foundation

/// This instance's copy of the last shared state it saw (`state_file` with `store = "etcd"`):
/// what it routes on if it starts while etcd is unreachable, never "nothing drained".
public struct SharedStateCache: Codable, Sendable, Equatable {
    public var revision: Int64
    /// RFC 3339 UTC: when this instance wrote it.
    public var written: String
    public var nodes: [String: SharedView.Entry]

    enum CodingKeys: String, CodingKey { case revision = "etcd_revision", written, nodes }

    public init(view: SharedView, written: Double) {
        revision = view.revision
        self.written = RFC3339.string(fromUnixSeconds: written)
        nodes = view.entries
    }

        /// nil when there is no file; throws naming the file when it is not a cache.
    public static func read(_ path: String) throws -> SharedStateCache? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            return try JSONDecoder().decode(SharedStateCache.self, from: data)
        } catch {
            throw SharedValueError(description: "\(path) is not a thrifttop shared-state cache (etcd_revision, written, nodes): \(error)")
        }
    }

    /// Atomically, as the state file is (a crash leaves the old or the new file).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try OperatorPersistence.writeAtomically(try encoder.encode(self), to: path)
    }
}
