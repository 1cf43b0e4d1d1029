import ClusterModel
import Histogram
import NIOCore

/// A node's latency over a sliding window: percentiles from two alternating HdrHistograms
/// (the window is 1–2 × `halfWindow`), an EWMA, and the last samples for sparklines.
///
/// Sized for 10,000 nodes in one process: microsecond values with one significant digit
/// (±3 %, plenty for a dashboard) keep each histogram near 1.3 KB.
public struct LatencyWindow: Sendable {
    public let halfWindow: TimeAmount
    public let sampleCapacity: Int
    private var current: Histogram<UInt32>
    private var previous: Histogram<UInt32>
    private var rotatedAt: NIODeadline?
    public private(set) var ewma: Double?
    private var samples: [Float] = []
    private var nextSample = 0

    public init(halfWindow: TimeAmount = .seconds(30), sampleCapacity: Int = 120) {
        self.halfWindow = halfWindow
        self.sampleCapacity = sampleCapacity
        current = Self.makeHistogram()
        previous = Self.makeHistogram()
    }

    static func makeHistogram() -> Histogram<UInt32> {
        Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .one)
    }

    public mutating func record(millis: Double, at now: NIODeadline) {
        rotateIfDue(at: now)
        let micros = UInt64(max(1, min(60_000_000, (millis * 1000).rounded())))
        _ = current.record(micros)
        ewma = ewma.map { $0 * 0.8 + millis * 0.2 } ?? millis
        if samples.count < sampleCapacity {
            samples.append(Float(millis))
        } else {
            samples[nextSample] = Float(millis)
            nextSample = (nextSample + 1) % sampleCapacity
        }
    }

    /// Returns whether the figures changed (a half was dropped).
    @discardableResult
    public mutating func rotateIfDue(at now: NIODeadline) -> Bool {
        guard let rotated = rotatedAt else {
            rotatedAt = now
            return false
        }
        if now - rotated >= halfWindow * 2 {
            // Idle for a whole window: both halves are stale.
            current.reset()
            previous.reset()
            rotatedAt = now
            return true
        } else if now - rotated >= halfWindow {
            swap(&current, &previous)
            current.reset()
            rotatedAt = now
            return true
        }
        return false
    }

    public var count: UInt64 { current.totalCount + previous.totalCount }

    /// The percentiles (p50, p90, p99 as HdrHistogram's `valueAtPercentile` reads them, and the
    /// max) and up to `buckets` log-spaced bars for the detail view, in milliseconds; nil when
    /// the window is empty. One walk over both halves in value order, with no merged copy: every
    /// node's summary is rebuilt each second it changes, 10,000 a second at 10,000 nodes.
    public func summary(buckets: Int = 12) -> LatencySummary? {
        let total = count
        guard total > 0 else { return nil }
        var bounds: [Double] = []
        var bound = 0.05
        while bounds.count < buckets - 1 { bounds.append(bound); bound *= 2.5 }
        bounds.append(.infinity)
        var bars = Array(repeating: 0, count: bounds.count)
        // The count at or below each percentile's value, rounded as valueAtPercentile does.
        let wanted = [50.0, 90.0, 99.0].map { Swift.max(1, UInt64(($0.nextDown * Double(total) / 100).rounded(.up))) }
        var found: [UInt64] = []
        let maxRecorded = Swift.max(current.maxRecorded, previous.maxRecorded)
        var older = previous.recordedValues(), newer = current.recordedValues()
        var a = older.next(), b = newer.next()
        var seen: UInt64 = 0
        while a != nil || b != nil {
            // Both halves share one layout: equal values are the same bucket.
            let value: UInt64, count: UInt64
            if let x = a, let y = b, x.value == y.value {
                (value, count) = (x.value, UInt64(x.count) + UInt64(y.count))
                a = older.next()
                b = newer.next()
            } else if let x = a, b.map({ x.value < $0.value }) ?? true {
                (value, count) = (x.value, UInt64(x.count))
                a = older.next()
            } else {
                let y = b!
                (value, count) = (y.value, UInt64(y.count))
                b = newer.next()
            }
            seen += count
            while found.count < wanted.count, seen >= wanted[found.count] {
                found.append(Swift.min(value, maxRecorded))
            }
            let millis = Double(value) / 1000
            bars[bounds.firstIndex { millis <= $0 } ?? bounds.count - 1] += Int(count)
        }
        func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
        let p = found + Array(repeating: maxRecorded, count: wanted.count - found.count)
        return LatencySummary(p50: ms(p[0]), p90: ms(p[1]), p99: ms(p[2]), max: ms(Swift.max(current.max, previous.max)),
                              histogram: zip(bounds, bars).map { LatencyBucket(upperBoundMillis: $0, count: $1) })
    }

    /// Samples oldest first.
    public var recent: [Double] {
        var out: [Double] = []
        out.reserveCapacity(samples.count)
        for sample in samples[nextSample...] { out.append(Double(sample)) }
        for sample in samples[..<nextSample] { out.append(Double(sample)) }
        return out
    }

}

/// A latency window as a snapshot shows it: percentiles and max in milliseconds, and the bars of
/// the detail view's histogram.
public struct LatencySummary: Sendable, Equatable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double
    public var histogram: [LatencyBucket]
}
