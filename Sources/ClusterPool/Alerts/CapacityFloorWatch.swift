/// Watches the cluster's routable count against `min_routable`, the same floor that refuses
/// drains: says when the count falls below it, and when it is back. Armed only once the count
/// first reached the floor, so a pool starting (every node unknown, none routable yet) is not
/// an outage.
struct CapacityFloorWatch: Equatable {
    /// A crossing of the floor, with the counts before and after.
    struct Crossing: Equatable {
        var from: Int
        var to: Int
        var below: Bool
    }

    let minRoutable: Int
    private(set) var count = 0
    private var armed = false
    private(set) var isBelow = false

    init(minRoutable: Int) {
        self.minRoutable = minRoutable
    }

    /// The routable count moved from `count` to `count + delta`.
    mutating func update(by delta: Int) -> Crossing? {
        let from = count
        count += delta
        guard minRoutable > 0 else { return nil }
        let below = count < minRoutable
        guard armed else {
            armed = !below
            return nil
        }
        guard below != isBelow else { return nil }
        isBelow = below
        return Crossing(from: from, to: count, below: below)
    }
}
