import ClusterModel
import NIOCore

/// A node's latency over a sliding window: percentiles from two alternating histograms (the
/// window is 1–2 × `halfWindow`), an EWMA, and the last samples for sparklines.
///
/// Sized for 10,000 nodes in one process: microsecond values with one significant digit
/// (±3 %, plenty for a dashboard) keep each histogram near 1.5 KB.
public struct LatencyWindow: Sendable {
    public let halfWindow: TimeAmount
    public let sampleCapacity: Int
    private var current = LatencyHistogram()
    private var previous = LatencyHistogram()
    private var rotatedAt: NIODeadline?
    public private(set) var ewma: Double?
    private var samples: [Float] = []
    private var nextSample = 0

    public init(halfWindow: TimeAmount = .seconds(30), sampleCapacity: Int = 120) {
        self.halfWindow = halfWindow
        self.sampleCapacity = sampleCapacity
    }

    public mutating func record(millis: Double, at now: NIODeadline) {
        rotateIfDue(at: now)
        let micros = UInt64(max(1, min(60_000_000, (millis * 1000).rounded())))
        current.record(micros)
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
    /// max) and `LatencySummary.bounds.count` log-spaced bars for the detail view, in
    /// milliseconds; nil when the window is empty. One walk over the used slots of both halves,
    /// nothing allocated but the bars: it runs after every heartbeat while a dashboard reads.
    public func summary() -> LatencySummary? {
        let total = count
        guard total > 0 else { return nil }
        let bounds = LatencySummary.bounds
        var bars = [Int](repeating: 0, count: bounds.count)
        var bar = 0
        // The count at or below each percentile's value, rounded as valueAtPercentile does.
        let wanted50 = Self.rank(50, of: total), wanted90 = Self.rank(90, of: total), wanted99 = Self.rank(99, of: total)
        let maxRecorded = Swift.max(current.maxRecorded, previous.maxRecorded)
        var p50 = maxRecorded, p90 = maxRecorded, p99 = maxRecorded
        let low = Swift.min(current.lowestIndex, previous.lowestIndex)
        let high = Swift.max(current.highestIndex, previous.highestIndex)
        var seen: UInt64 = 0
        current.counts.withUnsafeBufferPointer { newer in
            previous.counts.withUnsafeBufferPointer { older in
                for i in low...high {
                    let count = UInt64(newer[i]) + UInt64(older[i])
                    guard count > 0 else { continue }
                    let value = LatencyHistogram.highestValue(at: i)
                    let before = seen
                    seen += count
                    if before < wanted50 && seen >= wanted50 { p50 = Swift.min(value, maxRecorded) }
                    if before < wanted90 && seen >= wanted90 { p90 = Swift.min(value, maxRecorded) }
                    if before < wanted99 && seen >= wanted99 { p99 = Swift.min(value, maxRecorded) }
                    let millis = Double(value) / 1000
                    while millis > bounds[bar] { bar += 1 }
                    bars[bar] += Int(count)
                }
            }
        }
        func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
        return LatencySummary(p50: ms(p50), p90: ms(p90), p99: ms(p99), max: ms(Swift.max(current.max, previous.max)),
                              histogram: zip(bounds, bars).map { LatencyBucket(upperBoundMillis: $0, count: $1) })
    }

    private static func rank(_ percentile: Double, of total: UInt64) -> UInt64 {
        Swift.max(1, UInt64((percentile.nextDown * Double(total) / 100).rounded(.up)))
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
    /// The bars' upper bounds, ms: 0.05 × 2.5ⁿ, the last open-ended.
    public static let bounds: [Double] = {
        var bounds: [Double] = [], bound = 0.05
        while bounds.count < 11 { bounds.append(bound); bound *= 2.5 }
        return bounds + [.infinity]
    }()

    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double
    public var histogram: [LatencyBucket]
}
