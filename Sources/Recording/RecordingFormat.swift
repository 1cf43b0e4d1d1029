import ClusterModel
import Foundation

/// The layout of a recording file (`.ttrec`), version 2:
///
///     THRIFTTOP-RECORDING 2\n            the schema version: a newer one is refused by name
///     {header JSON}\n                    `RecordingHeader`: cluster, config summary, who records
///     chunk*                             each a zlib stream, a whole snapshot first
///     chunk: "TTCK" u32 length u64 start-time-bits u64 end-time-bits, then `length` bytes of zlib
///            (length and end are 0 while the chunk is being written: to the end of the file)
///     frame (inside the zlib): u32 size, u8 kind, u64 time-bits, then
///            kind 4: a whole snapshot: u32 n, n bytes of its JSON form (as the admin stream
///                    sends it) with each node's moving figures blank (`HotColumns.blank`),
///                    then `HotColumns` from those to the figures
///            kind 3: u32 n, n bytes of JSON delta (the header's figures, events, methods and the
///                    nodes that changed in more than their figures; none when n is 0), then
///                    `HotColumns` (the moving figures of the other nodes)
///            kind 1, 2: version 1's whole snapshot and delta, JSON, still read
///
/// Every frame is flushed to a byte boundary, so a file cut anywhere (a crash mid-write) reads
/// up to the last frame written; a chunk holds `keyframeInterval` seconds (60), so a reader seeks
/// by hopping chunk headers, then decodes one whole snapshot and at most a minute of columns.
public enum RecordingFormat {
    public static let schemaVersion = 2
    static let magic = "THRIFTTOP-RECORDING "
    static let chunkMagic: [UInt8] = Array("TTCK".utf8)
    static let chunkHeaderSize = 24
    static let frameHeaderSize = 13
    /// No frame is larger: a snapshot of a very large cluster, with room to spare.
    static let maximumFrameSize = 256 << 20
    /// No chunk inflates to more (a damaged or hostile file must not take all memory); a
    /// minute of 10,000 nodes is ~30 MB.
    static let maximumChunkSize = 256 << 20

    /// A time a recording can hold (seconds since 1970, before the year 3000): anything else in
    /// a chunk or frame header is damage, not a moment to show.
    static func isPlausible(_ time: Double) -> Bool { time.isFinite && time >= 0 && time < 32_503_680_000 }
    public static let fileExtension = "ttrec"
    /// Seconds a chunk holds: a whole snapshot of a large cluster compresses to ~100 bytes a node,
    /// a second of columns to ~9, so a chunk a minute keeps an hour of 1,000 nodes near 40 MB,
    /// and a seek decodes one snapshot and up to 59 frames of columns.
    public static let keyframeInterval = 60.0

    enum FrameKind: UInt8 {
        /// A whole snapshot, JSON.
        case snapshot = 1
        /// Version 1's delta: JSON.
        case delta = 2
        /// u32 JSON length, the JSON delta (may be empty), then `HotColumns`.
        case change = 3
        /// A whole snapshot as u32 JSON length, its JSON with each node's hot figures blank,
        /// then `HotColumns` from those to the figures.
        case keyframe = 4

        var hasColumns: Bool { self == .change || self == .keyframe }
        var isWhole: Bool { self == .snapshot || self == .keyframe }
    }
}

/// What a recording says about itself, at its start.
public struct RecordingHeader: Codable, Sendable, Equatable {
    public var schema: Int
    public var cluster: String
    /// When recording began (seconds since 1970).
    public var startedAt: Double
    /// Who recorded it: "serve", "dashboard" or "record ENDPOINT".
    public var recorder: String
    /// The config in a line: nodes, balancer, listeners.
    public var config: String

    public init(cluster: String, startedAt: Double, recorder: String, config: String) {
        schema = RecordingFormat.schemaVersion
        self.cluster = cluster
        self.startedAt = startedAt
        self.recorder = recorder
        self.config = config
    }

    enum CodingKeys: String, CodingKey {
        case schema, cluster, startedAt = "started_at", recorder, config
    }
}

/// Why a recording cannot be read at all (damage within it is reported, not thrown).
public struct RecordingError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    func bigEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type = T.self) -> T? {
        guard offset >= 0, offset + MemoryLayout<T>.size <= count else { return nil }
        var value: T = 0
        for byte in self[offset..<offset + MemoryLayout<T>.size] { value = value << 8 | T(byte) }
        return value
    }
}
