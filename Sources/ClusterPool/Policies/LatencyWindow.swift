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

    public mutating func rotateIfDue(at now: NIODeadline) {
        guard let rotated = rotatedAt else {
            rotatedAt = now
            return
        }
        if now - rotated >= halfWindow * 2 {
            // Idle for a whole window: both halves are stale.
            current.reset()
            previous.reset()
            rotatedAt = now
        } else if now - rotated >= halfWindow {
            swap(&current, &previous)
            current.reset()
            rotatedAt = now
        }
    }

    private var merged: Histogram<UInt32> {
        var h = previous
        h.add(current)
        return h
    }

    public var count: UInt64 { current.totalCount + previous.totalCount }

    /// Percentiles in milliseconds (p50, p90, p99, max), nil when the window is empty.
    public func percentiles() -> (p50: Double, p90: Double, p99: Double, max: Double)? {
        guard count > 0 else { return nil }
        let h = merged
        func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
        return (ms(h.valueAtPercentile(50)), ms(h.valueAtPercentile(90)), ms(h.valueAtPercentile(99)), ms(h.max))
    }

    /// Samples oldest first.
    public var recent: [Double] {
        (Array(samples[nextSample...]) + Array(samples[..<nextSample])).map(Double.init)
    }

    /// Up to `buckets` log-spaced bars over the window, for the detail view.
    public func histogram(buckets: Int = 12) -> [LatencyBucket] {
        guard count > 0 else { return [] }
        let h = merged
        var bounds: [Double] = []
        var bound = 0.05
        while bounds.count < buckets - 1 { bounds.append(bound); bound *= 2.5 }
        bounds.append(.infinity)
        var counts = Array(repeating: 0, count: bounds.count)
        for value in h.recordedValues() {
            let millis = Double(value.value) / 1000
            let index = bounds.firstIndex { millis <= $0 } ?? bounds.count - 1
            counts[index] += Int(value.count)
        }
        return zip(bounds, counts).map { LatencyBucket(upperBoundMillis: $0, count: $1) }
    }
}
