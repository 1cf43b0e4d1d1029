/// Each operator's undoable actions, newest last: what `undo` reverts is the caller's own last
/// action, never someone else's. The authority that decides commands keeps one (the local one
/// in the pool, the etcd one in its actor); `Revert` is what that authority needs to put the
/// node back and to see whether anyone changed it since (an inverse command and a change count,
/// or the record before and an etcd revision).
public struct UndoHistory<Revert: Sendable>: Sendable {
    public struct Entry: Sendable {
        public var user: String
        public var node: String
        /// What was done, as the operator reads it: "drain db-3".
        public var description: String
        public var revert: Revert

        public init(user: String, node: String, description: String, revert: Revert) {
            self.user = user
            self.node = node
            self.description = description
            self.revert = revert
        }
    }

    /// Kept per authority; the oldest entries go first.
    public static var limit: Int { 100 }

    public private(set) var entries: [Entry] = []

    public init() {}

    public mutating func append(_ entry: Entry) {
        entries.append(entry)
        if entries.count > Self.limit { entries.removeFirst(entries.count - Self.limit) }
    }

    /// `user`'s last entry and where it is, or the refusal that says there is none.
    public func last(of user: String) -> Result<(index: Int, entry: Entry), UndoRefusal> {
        guard let index = entries.lastIndex(where: { $0.user == user }) else {
            let other = entries.last.map { " (the last action, \"\($0.description)\", is \($0.user)'s)" } ?? ""
            return .failure(UndoRefusal(reason: "nothing of yours to undo\(other)"))
        }
        return .success((index, entries[index]))
    }

    public mutating func remove(at index: Int) { entries.remove(at: index) }

    /// Per operator, the action their `undo` would revert (the snapshot's `undo_by_operator`).
    public var undoable: [String: String] {
        var out: [String: String] = [:]
        for entry in entries { out[entry.user] = entry.description }
        return out
    }
}

/// Why an undo is refused.
public struct UndoRefusal: Error, Sendable, Equatable {
    public var reason: String
}
