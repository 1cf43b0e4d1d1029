/// The share of good heartbeats among the last `capacity` (a bitset ring: 10,000 nodes × 5
/// minutes of 1 s heartbeats costs 40 bytes a node).
public struct AvailabilityWindow: Sendable, Equatable {
    public let capacity: Int
    private var bits: [UInt64]
    private var next = 0
    public private(set) var count = 0
    public private(set) var good = 0

    public init(capacity: Int = 300) {
        precondition(capacity > 0)
        self.capacity = capacity
        bits = Array(repeating: 0, count: (capacity + 63) / 64)
    }

    public mutating func record(_ ok: Bool) {
        let word = next / 64, bit = UInt64(1) << UInt64(next % 64)
        if count == capacity, bits[word] & bit != 0 { good -= 1 }
        if ok {
            bits[word] |= bit
            good += 1
        } else {
            bits[word] &= ~bit
        }
        count = min(capacity, count + 1)
        next = (next + 1) % capacity
    }

    /// 0…1; 0 before any heartbeat.
    public var availability: Double { count == 0 ? 0 : Double(good) / Double(count) }

    /// `A = 1 − Π(1 − Aᵢ)`: the chance at least one of the nodes answers, if they fail independently.
    public static func cluster(_ availabilities: [Double]) -> Double {
        ClusterAvailability(availabilities).value
    }
}

/// The cluster availability `1 − Π(1 − Aᵢ)` and, for each member, the value without it — in
/// O(1) per member, so "what if this node were drained" costs nothing at 10,000 nodes. Factors
/// that are exactly 0 (a node at 100 %) are counted apart so removing one needs no division.
public struct ClusterAvailability: Sendable {
    private var product = 1.0
    private var zeroFactors = 0
    public private(set) var count = 0

    public init(_ availabilities: [Double] = []) {
        for a in availabilities { add(a) }
    }

    static func factor(_ a: Double) -> Double { 1 - min(1, max(0, a)) }

    public mutating func add(_ availability: Double) {
        let f = Self.factor(availability)
        if f == 0 { zeroFactors += 1 } else { product *= f }
        count += 1
    }

    public var value: Double {
        count == 0 ? 0 : (zeroFactors > 0 ? 1 : 1 - product)
    }

    /// The value with one member (of availability `a`) left out.
    public func without(_ a: Double) -> Double {
        guard count > 1 else { return 0 }
        let f = Self.factor(a)
        if f == 0 { return zeroFactors > 1 ? 1 : 1 - product }
        return zeroFactors > 0 ? 1 : 1 - product / f
    }
}
