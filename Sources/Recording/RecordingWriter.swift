import ClusterModel
import Foundation

/// Writes one recording file: a whole snapshot at the start of every chunk of
/// `keyframeInterval` seconds, and between them what changed in the snapshots it is given (a
/// snapshot where only the clock moved writes nothing): nodes that changed in more than their
/// hot figures whole, in JSON, and the hot figures of the rest as `HotColumns`. Each frame is flushed to the file as it
/// is written; `close` ends the last chunk. Not thread-safe: one owner calls it.
public final class RecordingWriter {
    public let path: String
    public let keyframeInterval: Double
    /// The file, written with write(2) and pwrite(2): a failure says errno's words (a full
    /// disk, a file over the size limit), which FileHandle's errors do not.
    private let descriptor: Int32
    private var deflater: Deflater?
    private var chunkHeaderOffset: UInt64 = 0
    private var chunkStart = 0.0
    private var chunkEnd = 0.0
    private var chunkLength = 0
    private var last: ClusterSnapshot?
    /// Bytes in the file so far.
    public private(set) var size: UInt64 = 0

    /// Creates (or replaces) the file at `path` and writes its header.
    public init(path: String, header: RecordingHeader, keyframeInterval: Double = RecordingFormat.keyframeInterval) throws {
        self.path = path
        self.keyframeInterval = keyframeInterval
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RecordingError("cannot create the recording \(path): \(String(cString: strerror(errno)))")
        }
        var bytes = Array("\(RecordingFormat.magic)\(RecordingFormat.schemaVersion)\n".utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        bytes += try encoder.encode(header) + [UInt8(ascii: "\n")]
        do {
            try append(bytes)
        } catch {
            // A file without its header is no recording: it would stop a replay of the directory.
            unlink(path)
            throw error
        }
    }

    /// Records `snapshot` (its `wallTime` is the frame's time), at the recording's precision.
    public func record(_ snapshot: ClusterSnapshot) throws {
        let snapshot = RecordingPrecision.rounded(snapshot)
        let time = snapshot.wallTime
        // A new chunk (a whole snapshot) also when the clock went back (frames stay in time
        // order) or the nodes are not the ones, in the same order, a replay holds (a reload).
        if deflater == nil || time - chunkStart >= keyframeInterval || time < chunkEnd
            || !(last.map { $0.hasSameNodes(as: snapshot) } ?? false) {
            try finishChunk()
            try startChunk(at: time)
            // Whole, but its moving figures as columns from blank ones (`HotColumns.blank`).
            var blank = snapshot
            blank.nodes = snapshot.nodes.map(HotColumns.blank)
            try write(.keyframe, time: time, json: SnapshotDelta(snapshot: blank).json,
                      columns: HotColumns.encode(zip(blank.nodes, snapshot.nodes).map { ($0, $1) }))
        } else if let last {
            guard let (json, columns) = Self.change(from: last, to: snapshot) else { return }
            try write(.change, time: time, json: json, columns: columns)
        }
        last = snapshot
    }

    /// A frame's JSON delta (header figures, events, methods, the nodes that changed in more
    /// than their hot figures) and its columns (the hot figures of the others); nil when only
    /// the clock moved. Nodes go by position (`record` starts a chunk when they do not line up).
    static func change(from last: ClusterSnapshot, to current: ClusterSnapshot) -> (json: [UInt8], columns: [UInt8])? {
        var base = last
        var pairs: [(last: NodeSnapshot, current: NodeSnapshot)?] = []
        if last.hasSameNodes(as: current) {
            pairs = Array(repeating: nil, count: current.nodes.count)
            for index in current.nodes.indices where last.nodes[index] != current.nodes[index] {
                let (before, now) = (last.nodes[index], current.nodes[index])
                if HotColumns.withHotFigures(of: before, in: now) == before, HotColumns.canCarry(from: before, to: now) {
                    pairs[index] = (before, now)
                    base.nodes[index] = now
                }
            }
        }
        let delta = SnapshotDelta(from: base, to: current)
        let hot = pairs.contains { $0 != nil }
        guard delta != nil || hot else { return nil }
        return (delta?.json ?? [], hot ? HotColumns.encode(pairs) : [])
    }

    private var isClosed = false
    /// A write failed (a full disk): nothing more is written, so the file reads as one cut
    /// there, up to its last whole frame.
    private var isBroken = false

    /// Ends the last chunk and closes the file (closed even when the end cannot be written).
    public func close() throws {
        guard !isClosed else { return }
        isClosed = true
        defer { Glibc.close(descriptor) }
        guard !isBroken else { return }
        try finishChunk()
    }

    deinit {
        if !isClosed { Glibc.close(descriptor) }
    }

    private func startChunk(at time: Double) throws {
        chunkHeaderOffset = size
        chunkStart = time
        chunkEnd = time
        chunkLength = 0
        deflater = Deflater()
        var header = RecordingFormat.chunkMagic
        header.appendBigEndian(UInt32(0))  // length: patched when the chunk ends
        header.appendBigEndian(time.bitPattern)
        header.appendBigEndian(UInt64(0))  // end time: likewise
        try append(header)
    }

    private func write(_ kind: RecordingFormat.FrameKind, time: Double, json: [UInt8], columns: [UInt8] = []) throws {
        guard let deflater else { return }
        var frame: [UInt8] = []
        let payload = kind.hasColumns ? 4 + json.count + columns.count : json.count
        frame.reserveCapacity(RecordingFormat.frameHeaderSize + payload)
        frame.appendBigEndian(UInt32(9 + payload))
        frame.append(kind.rawValue)
        frame.appendBigEndian(time.bitPattern)
        if kind.hasColumns { frame.appendBigEndian(UInt32(json.count)) }
        frame += json
        frame += columns
        let compressed = deflater.compress(frame)
        chunkLength += compressed.count
        chunkEnd = time
        try append(compressed)
    }

    private func finishChunk() throws {
        guard let deflater else { return }
        let tail = deflater.compress([], finish: true)
        self.deflater = nil
        chunkLength += tail.count
        try append(tail)
        // The chunk's length and end time, so a reader can hop over it.
        var patch: [UInt8] = []
        patch.appendBigEndian(UInt32(chunkLength))
        patch.appendBigEndian(chunkStart.bitPattern)
        patch.appendBigEndian(chunkEnd.bitPattern)
        try write(patch, at: chunkHeaderOffset + 4)
    }

    private func append(_ bytes: [UInt8]) throws {
        try write(bytes, at: size)
        size += UInt64(bytes.count)
    }

    private func write(_ bytes: [UInt8], at offset: UInt64) throws {
        guard !isBroken else { throw RecordingError("the recording \(path) stopped at an earlier failed write") }
        var done = 0
        while done < bytes.count {
            let written = bytes[done...].withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(offset) + off_t(done)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                isBroken = true
                throw RecordingError("cannot write to the recording \(path): \(String(cString: strerror(written < 0 ? errno : ENOSPC)))")
            }
            done += written
        }
    }
}
