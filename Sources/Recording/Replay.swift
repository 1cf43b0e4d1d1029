import ClusterModel
import Foundation

/// A recording opened for replay: one file, or a directory of the files `serve --record`
/// rotates. Finds the cluster as it was at any moment: the chunk that holds it, its whole
/// snapshot, then its deltas up to that moment.
public struct Replay: Sendable {
    public let files: [RecordingFile]
    /// Files of a directory that could not be read at all (no header: a crash or a full disk
    /// as it was made), said for the operator; the others replay.
    public let unreadable: [String]
    /// Each chunk with its file, in time order.
    let chunks: [(file: Int, chunk: RecordingFile.Chunk)]

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
            var files: [RecordingFile] = []
            var unreadable: [String] = []
            for name in names {
                do {
                    files.append(try RecordingFile.open((path as NSString).appendingPathComponent(name)))
                } catch {
                    unreadable.append("\(error)")
                }
            }
            guard !files.isEmpty else { throw RecordingError(unreadable.joined(separator: "\n")) }
            self.files = files
            self.unreadable = unreadable
        } else {
            files = [try RecordingFile.open(path)]
            unreadable = []
        }
        chunks = files.enumerated().flatMap { index, file in file.chunks.map { (index, $0) } }.sorted { $0.chunk.start < $1.chunk.start }
    }

    public var header: RecordingHeader { files[0].header }
    /// The first recorded moment; nil for a recording with no frame.
    public var start: Double? { chunks.first?.chunk.start }

    /// The last recorded moment, reading the last chunk when its header does not say (a file
    /// being written, or cut; an open chunk with no whole frame yields to the one before), and
    /// where that chunk stops being readable.
    public func lastMoment() throws -> (time: Double, damage: String?)? {
        for (file, chunk) in chunks.reversed() {
            if let end = chunk.end { return (end, nil) }
            let read = try files[file].frames(of: chunk)
            if let last = read.frames.last { return (last.time, read.damage.map { "\(files[file].path): \($0)" }) }
        }
        return nil
    }

    /// The last chunk has no length yet: being written, or left by a crash or a full disk.
    public var isOpen: Bool { chunks.last.map { $0.chunk.length == nil } ?? false }

    /// Where each damaged file stops, and the files that could not be read, for the operator.
    public var damage: [String] { unreadable + files.compactMap { file in file.damage.map { "\(file.path): \($0)" } } }

    /// The cluster as it was at `time` (the last frame at or before it), with that frame's
    /// time; nil before the first frame. Damage met on the way is in `damage`.
    public func snapshot(at time: Double) throws -> (snapshot: ClusterSnapshot, time: Double, damage: String?)? {
        let cursor = ReplayCursor(self)
        guard let snapshot = try cursor.snapshot(at: time), let at = cursor.frameTime else { return nil }
        return (snapshot, at, cursor.damage)
    }

    /// The chunk that holds `time`: the last that starts at or before it.
    func chunkIndex(at time: Double) -> Int? {
        var low = 0, high = chunks.count
        while low < high {
            let middle = (low + high) / 2
            if chunks[middle].chunk.start <= time { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : low - 1
    }

    /// Brings `assembler` to `frame`'s moment; false when the frame does not read (damage).
    /// A frame that does not read leaves the assembler as it was (never half applied).
    static func apply(_ frame: RecordingFile.Frame, to assembler: inout SnapshotAssembler) -> Bool {
        var next = assembler
        do {
            if !frame.json.isEmpty {
                let delta = try SnapshotDelta(json: Data(frame.json))
                if frame.isSnapshot { next.replace(with: delta.snapshot) } else { try next.apply(delta) }
            }
            if !frame.columns.isEmpty {
                try next.modify { snapshot in try HotColumns.apply(frame.columns, to: &snapshot.nodes) }
            }
            try next.modify { $0.wallTime = frame.time }
        } catch {
            return false
        }
        assembler = next
        return true
    }
}
