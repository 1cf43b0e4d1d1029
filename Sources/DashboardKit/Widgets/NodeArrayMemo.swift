import ClusterModel
import Synchronization

/// The last value worked out from a snapshot's nodes, so frames that re-render the same snapshot
/// (every key frame: it asked for the sorted rows four or five times) do not filter, sort or
/// measure 1,000 nodes again. The loop keeps a snapshot until a different one arrives, so between
/// snapshots every call hits.
///
/// The key is the identity of the node array (its storage) plus `Key` (the sort and filter, say),
/// and the value must be a pure function of those: a hit then returns exactly what `compute`
/// would, so the memo changes nothing but the time. Identity, not `==`: it is O(1) and exact.
/// The memo holds the array, so its storage can be neither freed and reused by another array nor
/// changed in place (a write copies it first). A snapshot equal in value but built anew is simply
/// worked out again.
///
/// One entry, shared by every caller: two dashboards (or parallel tests) rendering different
/// snapshots only take turns missing. It keeps one snapshot's node array alive after the loop has
/// moved on, until the next miss replaces it.
final class NodeArrayMemo<Key: Equatable & Sendable, Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        var nodes: [NodeSnapshot]
        var key: Key
        var value: Value
    }

    private let last = Mutex<Entry?>(nil)

    /// The value for (`nodes`, `key`): the remembered one, or `compute()`'s, remembered. `compute`
    /// runs outside the lock, so a slow sort never blocks another renderer's hit.
    func value(_ nodes: [NodeSnapshot], _ key: Key, compute: () -> Value) -> Value {
        let hit: Value? = last.withLock { entry in
            guard let entry, entry.key == key, Self.sameStorage(entry.nodes, nodes) else { return nil }
            return entry.value
        }
        if let hit { return hit }
        let value = compute()
        last.withLock { $0 = Entry(nodes: nodes, key: key, value: value) }
        return value
    }

    /// Whether two arrays are one storage (and so one value).
    static func sameStorage(_ a: [NodeSnapshot], _ b: [NodeSnapshot]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
    }
}

/// The dashboard's memos: one per thing worked out from a snapshot's nodes.
enum NodeMemos {
    /// The table's filtered, sorted rows.
    static let rows = NodeArrayMemo<RowOrderKey, [NodeSnapshot]>()
    /// The table's columns placed at a width (they measure every name and address).
    static let columns = NodeArrayMemo<Int, [NodeTableWidget.Placed]>()
    /// The median p50, for the slow-node mark.
    static let medianP50 = NodeArrayMemo<Int, Double?>()
}

/// What the table's rows depend on besides the nodes.
struct RowOrderKey: Equatable, Sendable {
    var sort: NodeSort
    /// The filter as matched (trimmed, lowercased): "Up " and "up" give the same rows.
    var needle: String
}
