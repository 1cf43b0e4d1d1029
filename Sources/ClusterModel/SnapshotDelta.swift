import Foundation

/// What changed between two snapshots of one cluster, as the admin stream sends it and a
/// recording keeps it: the snapshot's form with the header figures whole and only the nodes and
/// methods that changed, the new events, and the names of the nodes that went.
public struct SnapshotDelta: Sendable, Equatable {
    public var snapshot: ClusterSnapshot
    public var removed: [String]

    public init(snapshot: ClusterSnapshot, removed: [String] = []) {
        self.snapshot = snapshot
        self.removed = removed
    }

    /// What changed from `last` to `current`: nodes compared by position while the names line
    /// up (the pool keeps its order), by name after a reload; nil when only the clock moved.
    public init?(from last: ClusterSnapshot, to current: ClusterSnapshot) {
        var changedNodes: [NodeSnapshot] = []
        var removed: [String] = []
        let sameOrder = last.hasSameNodes(as: current)
        if sameOrder {
            for (before, now) in zip(last.nodes, current.nodes) where before != now { changedNodes.append(now) }
        } else {
            let before = Dictionary(last.nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            changedNodes = current.nodes.filter { before[$0.name] != $0 }
            let names = Set(current.nodes.map(\.name))
            removed = last.nodes.map(\.name).filter { !names.contains($0) }
        }
        let lastEvent = last.events.last?.id ?? 0
        let newEvents = current.events.reversed().prefix { $0.id > lastEvent }.reversed()
        // Methods are only ever added (the table is bounded): the changed ones by name.
        let methodsBefore = Dictionary(last.methods.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let changedMethods = current.methods.filter { methodsBefore[$0.name] != $0 }
        var delta = current
        delta.nodes = changedNodes
        delta.events = Array(newEvents)
        delta.methods = changedMethods
        if changedNodes.isEmpty, removed.isEmpty, newEvents.isEmpty, changedMethods.isEmpty,
           Self.headerFigures(last) == Self.headerFigures(delta) { return nil }
        self.init(snapshot: delta, removed: removed)
    }

    /// The header's figures alone: what a delta carries besides nodes, events and the clock.
    private static func headerFigures(_ snapshot: ClusterSnapshot) -> ClusterSnapshot {
        var figures = snapshot
        figures.wallTime = 0
        figures.version = 0
        figures.nodes = []
        figures.events = []
        figures.methods = []
        return figures
    }

    /// The JSON form (`SnapshotJSONWriter`, not JSONEncoder: this runs for every delta), with
    /// `removed_nodes` as the last member when any node went.
    public var json: [UInt8] {
        var writer = SnapshotJSONWriter()
        writer.write(snapshot)
        if !removed.isEmpty {
            writer.bytes.removeLast()  // the snapshot's closing brace
            writer.bytes.append(contentsOf: #","removed_nodes":"#.utf8)
            writer.write(removed)
            writer.bytes.append(UInt8(ascii: "}"))
        }
        return writer.bytes
    }

    /// A delta (or a whole snapshot) read from its JSON form.
    public init(json: Data) throws {
        snapshot = try JSONDecoder().decode(ClusterSnapshot.self, from: json)
        removed = (try? JSONDecoder().decode(Removed.self, from: json))?.removed_nodes ?? []
    }

    private struct Removed: Decodable {
        var removed_nodes: [String]?
    }
}

extension ClusterSnapshot {
    /// The same nodes, by name, in the same order: a delta (and a recording's columns) can then
    /// go by position.
    public func hasSameNodes(as other: ClusterSnapshot) -> Bool {
        nodes.count == other.nodes.count && zip(nodes, other.nodes).allSatisfy { $0.name == $1.name }
    }
}

/// A cluster's snapshot rebuilt from a whole snapshot and the deltas after it: an attached
/// dashboard does this with the admin stream, a replay with a recording. A delta brings the
/// header figures whole and the nodes and methods that changed (applied by name, so order and
/// unchanged ones stay); its events are added after the newest one held, at most
/// `eventCapacity` kept.
public struct SnapshotAssembler: Sendable {
    /// At most as many events as the pool keeps.
    public static let eventCapacity = 10_000

    public private(set) var snapshot: ClusterSnapshot?
    private var indexByName: [String: Int] = [:]

    public init() {}

    /// A delta came before any whole snapshot.
    public struct NoSnapshot: Error, Equatable {}

    public mutating func replace(with full: ClusterSnapshot) {
        snapshot = full
        indexByName = Dictionary(full.nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Changes the snapshot held in place (figures, the clock), never which nodes it holds or
    /// their names: a recording's columns of hot figures go this way.
    public mutating func modify(_ change: (inout ClusterSnapshot) throws -> Void) throws {
        guard snapshot != nil else { throw NoSnapshot() }
        try change(&snapshot!)
    }

    public mutating func apply(_ delta: SnapshotDelta) throws(NoSnapshot) {
        guard var current = snapshot else { throw NoSnapshot() }
        let nodes = current.nodes
        let events = current.events
        var methods = current.methods
        for method in delta.snapshot.methods {
            if let i = methods.firstIndex(where: { $0.name == method.name }) { methods[i] = method } else { methods.append(method) }
        }
        current = delta.snapshot
        current.nodes = nodes
        current.methods = methods
        for node in delta.snapshot.nodes {
            if let i = indexByName[node.name] {
                current.nodes[i] = node
            } else {
                indexByName[node.name] = current.nodes.count
                current.nodes.append(node)
            }
        }
        if !delta.removed.isEmpty {
            let gone = Set(delta.removed)
            current.nodes.removeAll { gone.contains($0.name) }
            indexByName = Dictionary(current.nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        }
        let newest = events.last?.id ?? 0
        current.events = events + delta.snapshot.events.filter { $0.id > newest }
        if current.events.count > Self.eventCapacity { current.events.removeFirst(current.events.count - Self.eventCapacity) }
        snapshot = current
    }
}
