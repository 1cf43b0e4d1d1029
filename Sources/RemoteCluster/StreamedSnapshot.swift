import ClusterModel
import Foundation

/// The daemon's snapshot rebuilt from its `/v1/stream`: an `event: snapshot` replaces it, an
/// `event: delta` brings the header figures whole and only the nodes and methods that changed
/// (applied by name, so order and unchanged ones stay) plus the new events. Nodes a reload removed
/// come as `removed_nodes`. The version is the last event's `id:`, sent back as `Last-Event-ID`
/// on reconnect.
public struct StreamedSnapshot: Sendable {
    /// At most as many events as the pool keeps.
    public static let eventCapacity = 10_000

    public private(set) var snapshot: ClusterSnapshot?
    public private(set) var lastEventID: String?
    private var indexByName: [String: Int] = [:]

    public init() {}

    /// A stream event the daemon should not have sent, named.
    public struct Malformed: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Applies one event; returns whether the snapshot changed.
    @discardableResult
    public mutating func apply(_ event: ServerSentEvent) throws -> Bool {
        switch event.event {
        case "snapshot":
            let full = try decode(event)
            snapshot = full
            indexByName = Dictionary(full.nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        case "delta":
            guard var current = snapshot else {
                throw Malformed(description: "the daemon sent a delta before any snapshot")
            }
            let delta = try decode(event)
            merge(delta, removed: Self.removedNodes(event.data), into: &current)
            snapshot = current
        default:
            return false  // an event type of a newer daemon: ignored
        }
        lastEventID = event.id ?? lastEventID
        return true
    }

    private func decode(_ event: ServerSentEvent) throws -> ClusterSnapshot {
        do {
            return try JSONDecoder().decode(ClusterSnapshot.self, from: Data(event.data.utf8))
        } catch let error as DecodingError {
            throw Malformed(description: "the daemon's \(event.event) event is not a snapshot: \(Self.describe(error))")
        }
    }

    private mutating func merge(_ delta: ClusterSnapshot, removed: [String], into current: inout ClusterSnapshot) {
        let nodes = current.nodes
        let events = current.events
        var methods = current.methods
        for method in delta.methods {
            if let i = methods.firstIndex(where: { $0.name == method.name }) { methods[i] = method } else { methods.append(method) }
        }
        current = delta
        current.nodes = nodes
        current.methods = methods
        for node in delta.nodes {
            if let i = indexByName[node.name] {
                current.nodes[i] = node
            } else {
                indexByName[node.name] = current.nodes.count
                current.nodes.append(node)
            }
        }
        if !removed.isEmpty {
            let gone = Set(removed)
            current.nodes.removeAll { gone.contains($0.name) }
            indexByName = Dictionary(current.nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        }
        let newest = events.last?.id ?? 0
        current.events = events + delta.events.filter { $0.id > newest }
        if current.events.count > Self.eventCapacity { current.events.removeFirst(current.events.count - Self.eventCapacity) }
    }

    private struct Removed: Decodable {
        var removed_nodes: [String]?
    }

    private static func removedNodes(_ data: String) -> [String] {
        (try? JSONDecoder().decode(Removed.self, from: Data(data.utf8)))?.removed_nodes ?? []
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .dataCorrupted(context), let .keyNotFound(_, context), let .typeMismatch(_, context), let .valueNotFound(_, context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            let place = path.isEmpty ? "" : " at \(path)"
            if case let .keyNotFound(key, _) = error { return "missing \(key.stringValue)\(place)" }
            return context.debugDescription + place
        @unknown default:
            return "\(error)"
        }
    }
}
