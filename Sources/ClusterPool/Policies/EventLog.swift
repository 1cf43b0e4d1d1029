import ClusterModel

/// A bounded ring of pool events: state changes, errors, retries, operator actions. The oldest
/// entries fall off; ids keep increasing so readers can tell what is new.
public struct EventLog: Sendable {
    public let capacity: Int
    private var ring: [PoolEvent] = []
    private var start = 0
    public private(set) var nextID: UInt64 = 1

    public init(capacity: Int = 10_000) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    @discardableResult
    public mutating func append(time: Double, node: String?, severity: EventSeverity, kind: PoolEvent.Kind, message: String) -> PoolEvent {
        let event = PoolEvent(id: nextID, time: time, node: node, severity: severity, kind: kind, message: TextSanitizer.clean(message))
        nextID += 1
        if ring.count < capacity {
            ring.append(event)
        } else {
            ring[start] = event
            start = (start + 1) % capacity
        }
        return event
    }

    public var count: Int { ring.count }

    /// Events oldest first (at most `limit`, the newest ones).
    public func events(limit: Int? = nil) -> [PoolEvent] {
        let ordered = Array(ring[start...]) + Array(ring[..<start])
        guard let limit, limit < ordered.count else { return ordered }
        return Array(ordered.suffix(limit))
    }
}
