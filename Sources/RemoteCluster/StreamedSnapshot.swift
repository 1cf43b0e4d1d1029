import ClusterModel
import Foundation

/// The daemon's snapshot rebuilt from its `/v1/stream`: an `event: snapshot` replaces it, an
/// `event: delta` brings the header figures whole and only the nodes and methods that changed
/// (applied by name, so order and unchanged ones stay) plus the new events. Nodes a reload removed
/// come as `removed_nodes`. The version is the last event's `id:`, sent back as `Last-Event-ID`
/// on reconnect.
public struct StreamedSnapshot: Sendable {
    /// At most as many events as the pool keeps.
    public static let eventCapacity = SnapshotAssembler.eventCapacity

    private var assembler = SnapshotAssembler()
    public var snapshot: ClusterSnapshot? { assembler.snapshot }
    public private(set) var lastEventID: String?

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
            assembler.replace(with: try decode(event).snapshot)
        case "delta":
            let delta = try decode(event)
            do {
                try assembler.apply(delta)
            } catch {
                throw Malformed(description: "the daemon sent a delta before any snapshot")
            }
        default:
            return false  // an event type of a newer daemon: ignored
        }
        lastEventID = event.id ?? lastEventID
        return true
    }

    private func decode(_ event: ServerSentEvent) throws -> SnapshotDelta {
        do {
            return try SnapshotDelta(json: Data(event.data.utf8))
        } catch let error as DecodingError {
            throw Malformed(description: "the daemon's \(event.event) event is not a snapshot: \(Self.describe(error))")
        }
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
