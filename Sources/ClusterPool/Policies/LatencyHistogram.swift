/// Latency counts in microseconds, laid out exactly as an HdrHistogram with one significant
/// digit (32 sub-buckets, 1 µs to 60 s in 368 counts, ±3 %), so percentiles read the same; kept
/// here because a node's summary is rebuilt after every heartbeat while a dashboard reads (10,000
/// a second at 10,000 nodes), and walking HdrHistogram's iterators was most of that cost. This one
/// remembers its lowest and highest used index, so a walk covers only the range in use.
struct LatencyHistogram: Sendable, Equatable {
    static let highestTrackable: UInt64 = 60_000_000
    /// (buckets needed for 60 s + 1) × 16 half-bucket counts, as HdrHistogram sizes it.
    static let length = 368

    private(set) var counts: [UInt32]
    private(set) var totalCount: UInt64 = 0
    private(set) var maxRecorded: UInt64 = 0
    private(set) var lowestIndex = Int.max
    private(set) var highestIndex = -1

    init() { counts = Array(repeating: 0, count: Self.length) }

    /// The count slot of `value` (µs, 1…60 s).
    static func index(of value: UInt64) -> Int {
        let bucket = 59 - (value | 31).leadingZeroBitCount
        let subBucket = Int(value >> UInt64(bucket))
        return ((bucket + 1) << 4) + (subBucket - 16)
    }

    /// The highest value that counts in `index`, as HdrHistogram's `highestEquivalentValue`.
    static func highestValue(at index: Int) -> UInt64 {
        var bucket = (index >> 4) - 1
        var subBucket = (index & 15) + 16
        if bucket < 0 {
            subBucket -= 16
            bucket = 0
        }
        return (UInt64(subBucket) << UInt64(bucket)) + (UInt64(1) << UInt64(bucket)) - 1
    }

    mutating func record(_ micros: UInt64) {
        let value = Swift.min(Self.highestTrackable, Swift.max(1, micros))
        let i = Self.index(of: value)
        counts[i] &+= 1
        totalCount &+= 1
        maxRecorded = Swift.max(maxRecorded, value)
        lowestIndex = Swift.min(lowestIndex, i)
        highestIndex = Swift.max(highestIndex, i)
    }

    mutating func reset() {
        guard totalCount > 0 else { return }
        for i in lowestIndex...highestIndex { counts[i] = 0 }
        totalCount = 0
        maxRecorded = 0
        lowestIndex = .max
        highestIndex = -1
    }

    /// HdrHistogram's `max`: the top of the slot holding the largest value.
    var max: UInt64 { maxRecorded == 0 ? 0 : Self.highestValue(at: Self.index(of: maxRecorded)) }
}
