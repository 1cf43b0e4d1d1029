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
        1 - availabilities.reduce(1) { $0 * (1 - min(1, max(0, $1))) }
    }
}
