import ClusterModel
import Foundation

/// A recording opened for replay: one file, or a directory of the files `serve --record`
/// rotates. Finds the cluster as it was at any moment: the chunk that holds it, its whole
/// snapshot, then its deltas up to that moment.
public struct Replay: Sendable {
    public let files: [RecordingFile]
    /// Each chunk with its file, in time order.
    private let chunks: [(file: Int, chunk: RecordingFile.Chunk)]

    /// `path`: a `.ttrec` file, or a directory of them.
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RecordingError("no recording at \(path)")
        }
        if isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path)
                .filter { $0.hasSuffix(".\(RecordingFormat.fileExtension)") }.sorted()
            guard !names.isEmpty else { throw RecordingError("\(path) holds no .\(RecordingFormat.fileExtension) recording") }
            files = try names.map { try RecordingFile.open((path as NSString).appendingPathComponent($0)) }
        } else {
            files = [try RecordingFile.open(path)]
        }
        chunks = files.enumerated().flatMap { index, file in file.chunks.map { (index, $0) } }.sorted { $0.chunk.start < $1.chunk.start }
    }

    public var header: RecordingHeader { files[0].header }
    /// The first recorded moment; nil for a recording with no frame.
    public var start: Double? { chunks.first?.chunk.start }
    /// The last recorded moment as far as the chunk headers tell (an open chunk: its start;
    /// `lastMoment` reads it).
    public var end: Double? { chunks.last.map { $0.chunk.end ?? $0.chunk.start } }

    /// The last recorded moment, reading the last chunk when its header does not say (a file
    /// being written, or cut).
    public func lastMoment() throws -> Double? {
        guard let (file, chunk) = chunks.last else { return nil }
        if let end = chunk.end { return end }
        return try files[file].frames(of: chunk).frames.last?.time ?? chunk.start
    }
    /// Where each damaged file stops, for the operator.
    public var damage: [String] { files.compactMap { file in file.damage.map { "\(file.path): \($0)" } } }

    /// The cluster as it was at `time` (the last frame at or before it), with that frame's
    /// time; nil before the first frame. Damage met on the way is in `damage`.
    public func snapshot(at time: Double) throws -> (snapshot: ClusterSnapshot, time: Double, damage: String?)? {
        guard let index = chunks.lastIndex(where: { $0.chunk.start <= time }) else { return nil }
        let (fileIndex, chunk) = chunks[index]
        let file = files[fileIndex]
        let (frames, damage) = try file.frames(of: chunk)
        var assembler = SnapshotAssembler()
        var at: Double?
        for frame in frames where frame.time <= time {
            let delta: SnapshotDelta
            do {
                delta = try SnapshotDelta(json: Data(frame.json))
            } catch {
                return assembler.snapshot.map { ($0, at ?? chunk.start, "\(file.path): a frame at \(RFC3339.string(fromUnixSeconds: frame.time)) does not read") }
            }
            if frame.isSnapshot { assembler.replace(with: delta.snapshot) } else { try? assembler.apply(delta) }
            at = frame.time
        }
        guard let snapshot = assembler.snapshot, let at else { return nil }
        return (snapshot, at, damage.map { "\(file.path): \($0)" })
    }
}
