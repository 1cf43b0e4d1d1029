import ClusterModel
import Foundation

/// The layout of a recording file (`.ttrec`), version 1:
///
///     THRIFTTOP-RECORDING 1\n            the schema version: a newer one is refused by name
///     {header JSON}\n                    `RecordingHeader`: cluster, config summary, who records
///     chunk*                             each a zlib stream, a whole snapshot first
///     chunk: "TTCK" u32 length u64 start-time-bits u64 end-time-bits, then `length` bytes of zlib
///            (length and end are 0 while the chunk is being written: to the end of the file)
///     frame (inside the zlib): u32 size, u8 kind (1 whole snapshot, 2 delta), u64 time-bits,
///            the snapshot's or delta's JSON form (as the admin stream sends it)
///
/// Every frame is flushed to a byte boundary, so a file cut anywhere (a crash mid-write) reads
/// up to the last frame written; a chunk holds `keyframeInterval` seconds (10), so a reader seeks by
/// hopping chunk headers and inflates one chunk.
public enum RecordingFormat {
    public static let schemaVersion = 1
    static let magic = "THRIFTTOP-RECORDING "
    static let chunkMagic: [UInt8] = Array("TTCK".utf8)
    static let chunkHeaderSize = 24
    static let frameHeaderSize = 13
    /// No frame is larger: a snapshot of a very large cluster, with room to spare.
    static let maximumFrameSize = 256 << 20
    /// No chunk inflates to more (a damaged or hostile file must not take all memory).
    static let maximumChunkSize = 1 << 30
    public static let fileExtension = "ttrec"
    /// Seconds a chunk holds: a seek inflates and reads one chunk, and at a large cluster, where
    /// every node changes every second, a delta is as big as a whole snapshot anyway.
    public static let keyframeInterval = 10.0

    enum FrameKind: UInt8 {
        case snapshot = 1
        case delta = 2
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
